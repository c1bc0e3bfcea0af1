#include "lochat/bench.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <optional>
#include <stop_token>
#include <thread>
#include <utility>

#include "bench_connections.hpp"
#include "bench_internal.hpp"
#include "bench_sender.hpp"
#include "lochat/net/socket.hpp"
#include "lochat/wire/framing.hpp"

namespace lochat::bench {

namespace {

constexpr std::size_t kMaxSendingClients = 2000;  // the checker keeps clients^2 counters
constexpr std::size_t kMaxMessages = 1'000'000'000;
constexpr std::size_t kMaxMessageSize = 64 * 1024;
constexpr std::size_t kMaxWindow = 4096;  // the window keeps clients x window counters

}  // namespace

// --- Configuration ----------------------------------------------------------

std::string config_problem(const BenchConfig& config) {
  if (config.port == 0) return "--port must name the server's port";
  if (config.hold >= config.timeout) return "--hold must be shorter than --timeout";
  if (config.connect_only > 0) {
    return config.connect_only > kMaxConnections
               ? fmt::format("--connect-only is limited to {}", kMaxConnections)
               : "";
  }
  if (config.clients < 2 || config.clients > kMaxSendingClients) {
    return fmt::format("--clients must be between 2 and {}", kMaxSendingClients);
  }
  if (config.messages < 1 || config.messages > kMaxMessages) {
    return fmt::format("--messages must be between 1 and {}", kMaxMessages);
  }
  if (config.message_size < kMinMessageSize || config.message_size > kMaxMessageSize) {
    return fmt::format("--size must be between {} and {}", kMinMessageSize, kMaxMessageSize);
  }
  if (config.window < 1 || config.window > kMaxWindow) {
    return fmt::format("--window must be between 1 and {}", kMaxWindow);
  }
  if (config.lines_per_write < 1 || config.lines_per_write > config.window) {
    return "--lines-per-write must be between 1 and --window (a write waits for that many)";
  }
  if (!(config.rate >= 0)) return "--rate must not be negative";
  return "";
}

bool is_loopback(std::string_view numeric_address) {
  const std::string text(numeric_address);
  in_addr v4{};
  if (::inet_pton(AF_INET, text.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (::inet_pton(AF_INET6, text.c_str(), &v6) != 1) return false;
  constexpr std::size_t kMappedPrefix = 12;  // ::ffff:a.b.c.d
  const bool mapped_v4_loopback = IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[kMappedPrefix] == 127;
  return IN6_IS_ADDR_LOOPBACK(&v6) || mapped_v4_loopback;
}

namespace {

// --- One message run --------------------------------------------------------

class MessageRun {
 public:
  MessageRun(const BenchConfig& config, Clock::time_point deadline)
      : config_(config),
        deadline_(deadline),
        run_id_(new_run_id()),
        tls_(config.tls ? std::optional(tls::Context::client()) : std::nullopt),
        connections_(tls_ ? &*tls_ : nullptr),
        framers_(config.clients, LineFramer(kMaxServerLine)),
        first_lines_(config.clients),
        checker_(config.clients, config.messages, run_id_),
        progress_(config.clients),
        window_(config.window, progress_) {
    handler_.on_bytes = [this](std::size_t client, std::string_view bytes, Clock::time_point now) {
      on_bytes(client, bytes, now);
    };
    handler_.on_closed = [this](std::size_t client) {
      first_lines_.on_closed(client);
      window_moved_ = window_.on_closed(client) || window_moved_;
    };
  }

  BenchReport execute(const Target& target) {
    connect(target);
    if (config_.expect_greeting) await_greetings();
    await_everyone_in_room();
    BenchReport report;
    report.config = config_;
    report.greeted = first_lines_.count();
    if (config_.server_pid) report.server_before = read_process_stats(*config_.server_pid);
    start_ = Clock::now();
    last_delivery_ = start_;
    {
      Sender sender(config_, connections_.links(), progress_, wake_, run_id_, start_, deadline_);
      const std::jthread sending([&sender](const std::stop_token& stop) { sender.run(stop); });
      receive_until_done();
    }  // the jthread asks the sender to stop, and joins it
    if (config_.server_pid) report.server_after = read_process_stats(*config_.server_pid);
    fill(report);
    return report;
  }

 private:
  static constexpr milliseconds kProgressEvery{1000};
  static constexpr milliseconds kQuietProgressFor{2000};  // short runs print no progress line

  void connect(const Target& target) {
    const auto error =
        connect_all(connections_, first_lines_, target, connect_plan(config_, deadline_), handler_);
    if (!error.empty()) {
      throw NetError(fmt::format("{} ({} of {} clients connected)", error,
                                 connections_.established(), config_.clients));
    }
  }

  // A client the server has not greeted may not be registered yet: what it
  // misses would be counted as lost, so the run does not start without it.
  void await_greetings() {
    wait_for_first_lines(connections_, handler_, first_lines_,
                         std::min(deadline_, Clock::now() + config_.greeting_timeout));
    if (first_lines_.count() < config_.clients) {
      throw NetError(
          fmt::format("only {} of {} clients received a first line within --greeting-timeout; use "
                      "--no-greeting if the server sends none",
                      first_lines_.count(), config_.clients));
    }
  }

  void on_bytes(std::size_t client, std::string_view bytes, Clock::time_point now) {
    first_lines_.on_bytes(client, bytes);
    // A line too long for any server to make of one of ours is damage, not chatter.
    framers_[client].feed(
        bytes, [&](std::string_view line) { on_line(client, line, now); },
        [this] { checker_.record_corrupt(); });
  }

  void on_line(std::size_t client, std::string_view line, Clock::time_point now) {
    if (!roll_call_.empty() && client != 0 && line.ends_with(roll_call_)) ++heard_roll_call_;
    const auto found = find_token(line, config_.message_size);
    if (found.status == TokenStatus::absent) return;
    if (found.status == TokenStatus::malformed) {
      checker_.record_corrupt();
      return;
    }
    const auto verdict = checker_.record(client, found.token);
    if (verdict != DeliveryChecker::Verdict::delivered &&
        verdict != DeliveryChecker::Verdict::late) {
      return;
    }
    latency_.record(now - Clock::time_point(nanoseconds(found.token.send_ns)));
    last_delivery_ = now;
    window_moved_ = window_.on_delivery(found.token.sender, found.token.seq) || window_moved_;
  }

  void receive_until_done() {
    // A slow --rate leaves long silences that are not stalls.
    const auto quiet_limit =
        config_.stall_timeout +
        std::chrono::duration_cast<Clock::duration>(
            std::chrono::duration<double>(config_.rate > 0 ? 1 / config_.rate : 0));
    constexpr milliseconds kTick{250};
    while (!checker_.complete()) {
      const auto now = Clock::now();
      if (now >= deadline_ || now - last_delivery_ >= quiet_limit) break;
      connections_.poll(std::min(kTick, std::chrono::ceil<milliseconds>(deadline_ - now)),
                        handler_);
      if (window_moved_) wake_.notify();
      window_moved_ = false;
      show_progress(Clock::now());
    }
    connections_.collect_closes(handler_);
    if (progress_shown_) config_.on_progress({.finished = true});
  }

  void show_progress(Clock::time_point now) {
    if (!config_.on_progress || now - start_ < kQuietProgressFor ||
        now - last_progress_ < kProgressEvery) {
      return;
    }
    last_progress_ = now;
    progress_shown_ = true;
    config_.on_progress({.delivered = checker_.counts().delivered,
                         .expected = checker_.expected_total(),
                         .elapsed = now - start_});
  }

  void fill(BenchReport& report) {
    std::vector<std::uint64_t> sent;
    for (const auto& peer : progress_) sent.push_back(peer.sent.load(std::memory_order_relaxed));
    checker_.settle(sent);
    report.counts = checker_.counts();
    report.disconnected = connections_.closed_by_server();
    report.planned = config_.clients * config_.messages;
    for (const auto count : sent) report.sent += count;
    report.expected = checker_.expected_total();
    report.finished = checker_.complete();
    report.elapsed = last_delivery_ - start_;
    report.latency = {latency_.percentile(0.5), latency_.percentile(0.99),
                      latency_.percentile(0.999), latency_.max()};
  }

  const BenchConfig& config_;
  Clock::time_point deadline_;
  std::uint32_t run_id_;
  std::optional<tls::Context> tls_;  // --tls: the clients' context, for as long as they live
  Connections connections_;
  // A server may complete the handshake for (or even greet) a client it has not
  // yet added to its room (ncat's accept loop lags its listen backlog): what
  // that client misses would count as lost. So before the first message,
  // client 0 says a numbered roll-call line until every other client hears
  // the latest one. It carries no token, so the checker ignores it.
  void await_everyone_in_room() {
    if (config_.clients < 2) return;
    constexpr int kRollCalls = 50;
    constexpr milliseconds kRollCallWait{200};
    for (int call = 1; call <= kRollCalls && Clock::now() < deadline_; ++call) {
      roll_call_ = fmt::format("LB-ROLLCALL|{:08x}|{}", run_id_, call);
      if (!write_all(*connections_.links()[0], roll_call_ + "\n", deadline_)) {
        throw NetError("cannot send the roll call: " + describe_errno(errno));
      }
      heard_roll_call_ = 1;  // the caller itself
      const auto until = std::min(deadline_, Clock::now() + kRollCallWait);
      while (heard_roll_call_ < config_.clients && Clock::now() < until) {
        connections_.poll(std::chrono::ceil<milliseconds>(until - Clock::now()), handler_);
      }
      if (heard_roll_call_ == config_.clients) {
        roll_call_.clear();
        return;
      }
    }
    throw NetError(fmt::format("only {} of {} clients hear the others after {} roll calls",
                               heard_roll_call_, config_.clients, kRollCalls));
  }

  Connections::Handler handler_;
  std::vector<LineFramer> framers_;
  FirstLines first_lines_;
  DeliveryChecker checker_;
  LatencyHistogram latency_;
  std::vector<PeerProgress> progress_;
  DeliveryWindow window_;
  EventFdWake wake_;
  bool window_moved_ = false;
  std::string roll_call_;  // the latest roll-call line, while calling
  std::size_t heard_roll_call_ = 0;
  Clock::time_point start_;
  Clock::time_point last_delivery_;
  Clock::time_point last_progress_;
  bool progress_shown_ = false;
};

}  // namespace

BenchReport run_bench(const BenchConfig& config) {
  const auto deadline = Clock::now() + config.timeout;
  MessageRun run(config, deadline);
  return run.execute(resolve_target(config));
}

}  // namespace lochat::bench
