#pragma once

#include <sys/types.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

// lochat-bench: load and correctness measurements against any line-relay chat
// server (lochat-server, `ncat --chat`, ...): many clients send numbered,
// timestamped lines and every delivery to every peer is checked.
namespace lochat::bench {

// The default --window, fixed and the same for every server, so that no
// server's limits shape the load it is measured under. 16: enough lines in
// flight that two clients on loopback are not held up by their own round trip
// (on a 2-core VM against lochat-server, 2 clients relayed 21 k lines/s at
// window 1, 61 k at 4, 140 k at 16 and 154 k at 64, with p99 0.16, 0.22,
// 0.58 and 3.4 ms), few enough that a crowd stays a busy room, not a flood:
// at 50 clients each has at most 49 x 16 lines of others on their way to it,
// about 100 KB of 100-byte lines.
inline constexpr std::size_t kDefaultWindow = 16;

// How far a long run has come, for a progress line.
struct BenchProgress {
  std::uint64_t delivered = 0;
  std::uint64_t expected = 0;
  std::chrono::nanoseconds elapsed{0};
  bool finished = false;
};

struct BenchConfig {
  std::string host = "127.0.0.1";
  std::uint16_t port = 4444;
  bool allow_remote = false;  // a load test aimed at another machine must be asked for
  // Speak TLS (OpenSSL, as lochat's own client does) to a TLS port, e.g.
  // lochat-server's --tls-port or `ncat -l --chat --ssl`; no certificate is
  // checked (a load test, not a client a person trusts).
  bool tls = false;
  std::size_t clients = 10;
  std::size_t messages = 1000;     // per client
  std::size_t message_size = 100;  // bytes per line, without the "\n"
  double rate = 0;                 // messages a second per client; 0 = as fast as the window allows
  // Messages a client may have in flight (sent, not yet at every peer).
  std::size_t window = kDefaultWindow;
  // Lines in each send(): 1, as a person, nc or a bot writes; more for a batch
  // scenario. A client's last write may carry fewer.
  std::size_t lines_per_write = 1;
  bool expect_greeting = true;  // a first line shows the server has registered the client
  std::chrono::milliseconds greeting_timeout{5000};
  std::chrono::milliseconds stall_timeout{5000};  // give up when nothing arrives for this long
  std::chrono::milliseconds timeout{60000};       // bounds the whole run
  std::optional<pid_t> server_pid;                // to read the server's CPU time and memory
  std::size_t connect_only = 0;                   // > 0: only open this many connections
  std::chrono::milliseconds hold{0};              // connect-only: keep them open this long
  // Called from the receiving thread every second or so of a long run, and
  // once more with `finished` set if it was called at all; empty = never.
  std::function<void(const BenchProgress&)> on_progress;
};

inline constexpr std::size_t kMinMessageSize = 64;      // room for the token's fields
inline constexpr std::size_t kMaxConnections = 100000;  // for --connect-only

// Why the configuration cannot run (empty if it can).
std::string config_problem(const BenchConfig& config);
bool is_loopback(std::string_view numeric_address);

// --- The token every benchmark line carries ---------------------------------
//
// "LB|<run>|<sender>|<seq>|<send_ns>|<padding>", exactly message_size bytes.
// <run> (8 hex digits) tells this run's lines from those of an earlier one that
// a server replays (lochat's history); <send_ns> is steady_clock time; the
// padding is a pattern derived from <seq>, so any changed byte is noticed.
struct Token {
  std::uint32_t run = 0;
  std::size_t sender = 0;
  std::uint64_t seq = 0;
  std::int64_t send_ns = 0;
};

// Appends the line for `token`, padded to `message_size` bytes, and a "\n".
void append_line(std::string& out, const Token& token, std::size_t message_size);

enum class TokenStatus { absent, malformed, valid };
struct FoundToken {
  TokenStatus status = TokenStatus::absent;
  Token token;
};
// Finds the token anywhere in `line`: servers put their own prefix before the
// text ("From 127.0.0.1:5555: ", "<user3> "). A line without "LB|" is not ours
// (greetings, acknowledgements, notices); one with a damaged token is malformed.
FoundToken find_token(std::string_view line, std::size_t message_size);

// --- Checking deliveries ----------------------------------------------------

struct DeliveryCounts {
  std::uint64_t delivered = 0;   // distinct (message, peer) pairs that arrived
  std::uint64_t lost = 0;        // sent, but some peer never got it
  std::uint64_t duplicated = 0;  // arrived again at the same peer
  std::uint64_t reordered = 0;   // arrived after a later message from the same sender
  std::uint64_t corrupted = 0;   // damaged token, padding or length
  std::uint64_t echoed = 0;      // came back to its own sender (some servers echo; not an error)
  std::uint64_t foreign = 0;     // from another run, e.g. replayed history (not an error)
  [[nodiscard]] std::uint64_t errors() const { return lost + duplicated + reordered + corrupted; }
};

// Follows, for every receiver, the sequence of each sender: it must go up by
// exactly one. A jump leaves a gap; a message that later fills it was
// reordered, one that never does is lost, and one below the sequence that is
// not in a gap is a duplicate. One thread only.
class DeliveryChecker {
 public:
  enum class Verdict { delivered, late, duplicate, corrupt, echo, foreign };

  DeliveryChecker(std::size_t clients, std::uint64_t messages_per_client, std::uint32_t run);

  Verdict record(std::size_t receiver, const Token& token);
  void record_corrupt() { ++counts_.corrupted; }
  // At the end: every message handed to the network (`sent` per sender) that
  // some peer has not received counts as lost.
  void settle(std::span<const std::uint64_t> sent);

  [[nodiscard]] const DeliveryCounts& counts() const { return counts_; }
  [[nodiscard]] std::uint64_t expected_total() const;
  [[nodiscard]] bool complete() const { return counts_.delivered == expected_total(); }

 private:
  [[nodiscard]] std::size_t pair_index(std::size_t receiver, std::size_t sender) const;
  [[nodiscard]] std::uint64_t gap_key(std::size_t pair, std::uint64_t seq) const;

  std::size_t clients_;
  std::uint64_t messages_;
  std::uint32_t run_;
  std::vector<std::uint64_t> next_seq_;     // per (receiver, sender)
  std::unordered_set<std::uint64_t> gaps_;  // (pair, seq) skipped over, maybe still coming
  DeliveryCounts counts_;
};

// --- Latency ----------------------------------------------------------------

// A log-linear histogram: 64 buckets per power of two (values within about
// 1.5 %), in fixed memory however many deliveries a run has.
class LatencyHistogram {
 public:
  void record(std::chrono::nanoseconds latency);
  // The value (to within its bucket) that `fraction` of the recorded values do not exceed.
  [[nodiscard]] std::chrono::nanoseconds percentile(double fraction) const;
  [[nodiscard]] std::chrono::nanoseconds max() const { return std::chrono::nanoseconds(max_); }
  [[nodiscard]] std::uint64_t count() const { return count_; }

 private:
  static constexpr std::size_t kSubBits = 6;
  static constexpr std::size_t kSubBuckets = std::size_t{1} << kSubBits;
  static constexpr std::size_t kBuckets = kSubBuckets * (64 - kSubBits + 1);
  static std::size_t bucket_of(std::uint64_t value);
  static std::uint64_t bucket_middle(std::size_t bucket);

  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t count_ = 0;
  std::uint64_t max_ = 0;
};

// --- The server process -----------------------------------------------------

struct ProcessStats {
  std::chrono::nanoseconds cpu{0};  // user + system time so far
  std::uint64_t rss_bytes = 0;
  std::size_t threads = 0;
  // Voluntary and involuntary, summed over the threads alive now: a thread
  // that has ended takes its count with it, so read while the clients' are alive.
  std::uint64_t context_switches = 0;
};
// From /proc/PID/stat, /proc/PID/status and /proc/PID/task/*/status; nullopt
// if the process is gone.
std::optional<ProcessStats> read_process_stats(pid_t pid);

// --- Runs and reports -------------------------------------------------------

struct LatencySummary {
  std::chrono::nanoseconds p50{0}, p99{0}, p999{0}, max{0};
};

// What the server spent on a message run, from its /proc figures before and after.
struct ServerCost {
  std::chrono::nanoseconds cpu{0};
  double cpu_us_per_delivery = 0;
  std::uint64_t context_switches = 0;
  double context_switches_per_message = 0;  // per message a client sent (relayed once, to all)
};

struct BenchReport {
  BenchConfig config;
  std::size_t greeted = 0;       // clients whose first line arrived before sending began
  std::size_t disconnected = 0;  // clients the server closed during the run: the run fails
  std::uint64_t planned = 0;     // messages the clients were to send
  std::uint64_t sent = 0;        // messages handed to the network
  std::uint64_t expected = 0;    // deliveries if every message reached every peer
  DeliveryCounts counts;
  bool finished = false;                // every expected delivery arrived before the deadline
  std::chrono::nanoseconds elapsed{0};  // first send to last delivery
  LatencySummary latency;
  std::optional<ProcessStats> server_before, server_after;
  [[nodiscard]] double deliveries_per_second() const;
  // nullopt without --server-pid, or if the server was gone by the end.
  [[nodiscard]] std::optional<ServerCost> server_cost() const;
  [[nodiscard]] bool passed() const {
    return finished && counts.errors() == 0 && disconnected == 0;
  }
};

struct ConnectReport {
  BenchConfig config;
  std::size_t connected = 0;  // TCP connections established
  std::size_t greeted = 0;    // ... that received a first line
  std::size_t held = 0;       // ... and were still open at the end of the hold
  std::size_t closed = 0;     // connections the server closed (refusals among them)
  std::string connect_error;  // why connecting stopped early, if it did
  std::optional<ProcessStats> server_before, server_after;
  // The server as the hold began (everyone connected and greeted), and how
  // long the hold lasted: its CPU over the hold is its idle cost.
  std::optional<ProcessStats> server_hold_start;
  std::chrono::nanoseconds held_for{0};
  [[nodiscard]] bool passed() const { return held == config.connect_only; }
  // Server CPU while the clients sat idle, in % of one core; nullopt without --server-pid.
  [[nodiscard]] std::optional<double> idle_cpu_percent() const;
};

// Raises NetError unless every client connects and (unless --no-greeting) gets a first line.
BenchReport run_bench(const BenchConfig& config);
// Raises NetError only if the host is refused (not loopback) or cannot be resolved.
ConnectReport run_connect_only(const BenchConfig& config);

std::string format_table(const BenchReport& report);
std::string format_json(const BenchReport& report);
std::string format_table(const ConnectReport& report);
std::string format_json(const ConnectReport& report);

}  // namespace lochat::bench
