#include "lochat/bench.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netdb.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <stop_token>
#include <thread>
#include <utility>

#include "bench_internal.hpp"
#include "lochat/framing.hpp"
#include "lochat/socket.hpp"

namespace lochat::bench {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;

namespace {

constexpr std::size_t kMaxSendingClients = 2000;  // the checker keeps clients^2 counters
constexpr std::size_t kMaxMessages = 1'000'000'000;
constexpr std::size_t kMaxMessageSize = 64 * 1024;
constexpr std::size_t kMaxWindow = 4096;  // the window keeps clients x window counters
// Servers send long lines of their own (lochat's "*** Online (N): ..." lists
// every client), which must not be mistaken for damaged benchmark lines.
constexpr std::size_t kMaxServerLine = 1024 * 1024;

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
  if (config.window > kMaxWindow) return fmt::format("--window is limited to {}", kMaxWindow);
  if (!(config.rate >= 0)) return "--rate must not be negative";
  return "";
}

std::size_t effective_window(const BenchConfig& config) {
  if (config.window > 0) return config.window;
  // Half of lochat's default --sendq: notices and the kernel's buffers take some too.
  constexpr std::size_t kBudgetBytes = 128 * 1024;
  constexpr std::size_t kPrefixBytes = 32;  // "From 127.0.0.1:40000: " and the like
  constexpr std::size_t kLargestAuto = 64;  // beyond this, more in flight only adds latency
  const auto per_round = std::max<std::size_t>(config.clients, 2) - 1;
  const auto line_bytes = config.message_size + kPrefixBytes;
  return std::clamp<std::size_t>(kBudgetBytes / (per_round * line_bytes), 1, kLargestAuto);
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

// --- Connections ------------------------------------------------------------

namespace {

// The server's address, resolved once so that every connection goes to the
// address that was checked.
struct Target {
  sockaddr_storage address{};
  socklen_t length = 0;
  std::string text;  // "ip:port", for messages
};

struct AddrInfoDeleter {
  void operator()(addrinfo* info) const { freeaddrinfo(info); }
};

Target resolve_target(const BenchConfig& config) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const auto service = std::to_string(config.port);
  if (const int status = ::getaddrinfo(config.host.c_str(), service.c_str(), &hints, &found);
      status != 0) {
    throw NetError("cannot resolve " + config.host + ": " + ::gai_strerror(status));
  }
  const std::unique_ptr<addrinfo, AddrInfoDeleter> owned(found);
  Target target;
  std::memcpy(&target.address, found->ai_addr, found->ai_addrlen);
  target.length = found->ai_addrlen;
  char numeric[NI_MAXHOST] = {};
  ::getnameinfo(found->ai_addr, found->ai_addrlen, numeric, sizeof numeric, nullptr, 0,
                NI_NUMERICHOST);
  target.text = Endpoint{numeric, config.port}.to_string();
  if (!config.allow_remote && !is_loopback(numeric)) {
    throw NetError("refusing to load " + config.host + " (" + numeric +
                   "): not a loopback address; pass --allow-remote to benchmark another machine");
  }
  return target;
}

std::string describe_errno(int error_number) {
  return std::strerror(error_number);
}

// Every client connection: opened without blocking and read from one thread
// (epoll). Clients are numbered in the order they were started.
class Connections {
 public:
  struct Handler {
    std::function<void(std::size_t client, std::string_view bytes, Clock::time_point now)> on_bytes;
    // The connection is gone: closed by the server, or never established.
    std::function<void(std::size_t client)> on_closed;
  };

  Connections() : epoll_(::epoll_create1(EPOLL_CLOEXEC)), buffer_(kReadBytes) {
    if (!epoll_.valid()) throw NetError("cannot create epoll: " + describe_errno(errno));
  }

  // Starts one connection; a failure is kept in first_error().
  void start(const Target& target) {
    FileDescriptor socket(
        ::socket(target.address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!socket.valid()) return fail("cannot open a socket: " + describe_errno(errno));
    const auto* address = reinterpret_cast<const sockaddr*>(&target.address);
    const bool done = ::connect(socket.get(), address, target.length) == 0;
    if (!done && errno != EINPROGRESS) {
      return fail("cannot connect to " + target.text + ": " + describe_errno(errno));
    }
    target_text_ = target.text;
    sockets_.push_back(std::move(socket));
    states_.push_back(State::connecting);
    ++connecting_;
    watch(sockets_.size() - 1, EPOLLOUT, EPOLL_CTL_ADD);
  }

  // Waits up to `timeout` for handshakes and data, and hands what arrives to `handler`.
  void poll(milliseconds timeout, const Handler& handler) {
    std::array<epoll_event, kEventsPerWait> events{};
    const int ready =
        ::epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()),
                     static_cast<int>(std::max<milliseconds::rep>(timeout.count(), 0)));
    for (int i = 0; i < ready; ++i) {
      const auto client = static_cast<std::size_t>(events[static_cast<std::size_t>(i)].data.u64);
      if (states_[client] == State::connecting) {
        finish_connecting(client, handler);
      } else {
        read_from(client, handler);
      }
    }
  }

  [[nodiscard]] std::size_t started() const { return sockets_.size(); }
  [[nodiscard]] std::size_t connecting() const { return connecting_; }
  [[nodiscard]] std::size_t established() const { return established_; }
  [[nodiscard]] std::size_t closed_by_server() const { return closed_by_server_; }
  [[nodiscard]] bool is_open(std::size_t client) const { return states_[client] == State::open; }
  [[nodiscard]] const std::string& first_error() const { return first_error_; }
  [[nodiscard]] std::span<const FileDescriptor> sockets() const { return sockets_; }

 private:
  enum class State : std::uint8_t { connecting, open, closed, failed };
  static constexpr std::size_t kReadBytes = 64 * 1024;
  static constexpr std::size_t kEventsPerWait = 256;

  void fail(const std::string& why) {
    if (first_error_.empty()) first_error_ = why;
  }

  void watch(std::size_t client, std::uint32_t events, int operation) {
    epoll_event event{};
    event.events = events;
    event.data.u64 = client;
    ::epoll_ctl(epoll_.get(), operation, sockets_[client].get(), &event);
  }

  void finish_connecting(std::size_t client, const Handler& handler) {
    --connecting_;
    int error = 0;
    socklen_t length = sizeof error;
    ::getsockopt(sockets_[client].get(), SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0) {
      fail("cannot connect to " + target_text_ + ": " + describe_errno(error));
      end(client, State::failed, handler);
      return;
    }
    set_no_delay(sockets_[client]);
    states_[client] = State::open;
    ++established_;
    watch(client, EPOLLIN, EPOLL_CTL_MOD);
  }

  // One read per readiness event: epoll is level-triggered, so what is left
  // is reported again, and one busy client cannot starve the others.
  void read_from(std::size_t client, const Handler& handler) {
    const auto result = receive_some(sockets_[client], buffer_);
    if (result.status == ReadResult::Status::would_block) return;
    if (result.status == ReadResult::Status::closed) {
      ++closed_by_server_;
      end(client, State::closed, handler);
      return;
    }
    handler.on_bytes(client, std::string_view(buffer_.data(), result.bytes), Clock::now());
  }

  // The socket stays open (the sending thread may still hold its number) but is no longer watched.
  void end(std::size_t client, State state, const Handler& handler) {
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, sockets_[client].get(), nullptr);
    states_[client] = state;
    handler.on_closed(client);
  }

  FileDescriptor epoll_;
  std::vector<FileDescriptor> sockets_;
  std::vector<State> states_;
  std::vector<char> buffer_;
  std::string target_text_;
  std::string first_error_;
  std::size_t connecting_ = 0;
  std::size_t established_ = 0;
  std::size_t closed_by_server_ = 0;
};

// Which clients have received a first line (a greeting, or whatever the server sends first).
class FirstLines {
 public:
  explicit FirstLines(std::size_t clients) : heard_(clients, 0) {}
  void on_bytes(std::size_t client, std::string_view bytes) {
    if (heard_[client] != 0 || bytes.find('\n') == std::string_view::npos) return;
    heard_[client] = 1;
    ++heard_count_;
  }
  void on_closed(std::size_t client) {
    if (heard_[client] == 0) ++gone_unheard_;
  }
  [[nodiscard]] bool heard(std::size_t client) const { return heard_[client] != 0; }
  [[nodiscard]] std::size_t count() const { return heard_count_; }
  // Clients no longer waiting for a first line: they got one, or are gone.
  [[nodiscard]] std::size_t answered() const { return heard_count_ + gone_unheard_; }

 private:
  std::vector<char> heard_;
  std::size_t heard_count_ = 0;
  std::size_t gone_unheard_ = 0;
};

struct ConnectPlan {
  std::size_t count = 0;
  bool expect_greeting = true;
  milliseconds patience{0};  // how long to wait for any answer before giving up
  Clock::time_point deadline;
};

ConnectPlan connect_plan(const BenchConfig& config, Clock::time_point deadline) {
  return {config.clients, config.expect_greeting, config.greeting_timeout, deadline};
}

// Opens plan.count connections, with at most a few unanswered at a time
// (waiting for their first line, or for the handshake when no greeting is
// expected): a server with a short listen backlog (ncat's is 10) would
// otherwise leave the excess half-accepted, "connected" on our side but
// unknown to it. Reads all the while, so the first clients' greetings and
// notices never pile up unread. Returns why it stopped early, or "".
std::string connect_all(Connections& connections, const FirstLines& first_lines,
                        const Target& target, const ConnectPlan& plan,
                        const Connections::Handler& handler) {
  constexpr std::size_t kUnansweredAtOnce = 8;
  constexpr milliseconds kCheckEvery{100};
  const auto answers = [&] {
    return plan.expect_greeting ? first_lines.answered() : connections.established();
  };
  auto answered = answers();
  auto last_answer = Clock::now();
  while (Clock::now() < plan.deadline) {
    while (connections.started() < plan.count && connections.first_error().empty() &&
           connections.started() - answers() < kUnansweredAtOnce) {
      connections.start(target);
    }
    const bool all_started =
        connections.started() == plan.count || !connections.first_error().empty();
    if (all_started && connections.connecting() == 0) return connections.first_error();
    const auto now = Clock::now();
    if (answers() != answered) {
      answered = answers();
      last_answer = now;
    } else if (now - last_answer > plan.patience) {
      return fmt::format("no answer from the server for {} ms after {} connections",
                         plan.patience.count(), connections.started());
    }
    const auto left = std::chrono::ceil<milliseconds>(plan.deadline - now);
    connections.poll(std::min(left, kCheckEvery), handler);
  }
  return "ran out of time connecting (--timeout)";
}

// Reads until every client has had a first line (or is gone) or `deadline` passes.
void wait_for_first_lines(Connections& connections, const Connections::Handler& handler,
                          const FirstLines& first_lines, Clock::time_point deadline) {
  while (first_lines.answered() < connections.started() && Clock::now() < deadline) {
    connections.poll(std::chrono::ceil<milliseconds>(deadline - Clock::now()), handler);
  }
}

// Reads (and ignores) everything until `until`, so the server never sees us stall.
void keep_reading(Connections& connections, const Connections::Handler& handler,
                  Clock::time_point until) {
  while (Clock::now() < until) {
    connections.poll(std::chrono::ceil<milliseconds>(until - Clock::now()), handler);
  }
}

std::uint32_t new_run_id() {
  std::random_device entropy;
  return static_cast<std::uint32_t>(entropy());
}

std::int64_t to_ns(Clock::time_point time) {
  return std::chrono::duration_cast<nanoseconds>(time.time_since_epoch()).count();
}

// --- Sending ----------------------------------------------------------------

// What the sending and the receiving thread share about one client.
struct PeerProgress {
  std::atomic<bool> open{true};
  // Own messages that every open peer has received: the window slides on it.
  std::atomic<std::uint64_t> acked{0};
  // Own messages handed whole to the kernel.
  std::atomic<std::uint64_t> sent{0};
};

// Receiver side of the window: a sender's oldest message leaves the window
// once every open peer has it. So each client has at most clients x window
// lines on their way to it, whatever order the server serves them in.
class DeliveryWindow {
 public:
  DeliveryWindow(std::size_t window, std::span<PeerProgress> progress)
      : window_(window),
        progress_(progress),
        arrivals_(progress.size() * window, 0),
        open_clients_(progress.size()) {}

  // A new delivery of `seq` from `sender`; true if the sender's window moved.
  bool on_delivery(std::size_t sender, std::uint64_t seq) {
    ++arrivals_[slot(sender, seq)];
    return advance(sender);
  }

  // A closed client will receive nothing more: the windows stop waiting for it.
  // (Its deliveries already counted may make a window slide a little early; the
  // run has failed anyway.)
  bool on_closed(std::size_t client) {
    progress_[client].open.store(false, std::memory_order_relaxed);
    --open_clients_;
    bool moved = false;
    for (std::size_t sender = 0; sender < progress_.size(); ++sender) {
      moved = advance(sender) || moved;
    }
    return moved;
  }

 private:
  // The sender never has more than `window` messages unacknowledged, so a
  // ring of `window` counters per sender holds them all.
  [[nodiscard]] std::size_t slot(std::size_t sender, std::uint64_t seq) const {
    return sender * window_ + static_cast<std::size_t>(seq % window_);
  }

  bool advance(std::size_t sender) {
    auto& acked = progress_[sender].acked;
    const bool sender_open = progress_[sender].open.load(std::memory_order_relaxed);
    const auto peers = open_clients_ - (sender_open ? 1 : 0);
    auto oldest = acked.load(std::memory_order_relaxed);
    const auto first = oldest;
    while (arrivals_[slot(sender, oldest)] >= peers && arrivals_[slot(sender, oldest)] > 0) {
      arrivals_[slot(sender, oldest)] = 0;
      ++oldest;
    }
    acked.store(oldest, std::memory_order_relaxed);
    return oldest != first;
  }

  std::size_t window_;
  std::span<PeerProgress> progress_;
  std::vector<std::size_t> arrivals_;  // per (sender, seq % window): peers that have it
  std::size_t open_clients_;
};

// The sending thread: writes each client's lines as the window and the rate
// allow, and waits in poll() (on the receiver's wake-up and on full sockets)
// when nothing can be sent.
class Sender {
 public:
  Sender(const BenchConfig& config, std::span<const FileDescriptor> sockets,
         std::span<PeerProgress> progress, const WakeSignal& wake, std::uint32_t run,
         Clock::time_point start, Clock::time_point deadline)
      : config_(config),
        window_(effective_window(config)),
        sockets_(sockets),
        progress_(progress),
        wake_(wake),
        run_(run),
        start_(start),
        deadline_(deadline),
        states_(sockets.size()) {}

  void run(const std::stop_token& stop) {
    const std::stop_callback wake_on_stop(stop, [this] { wake_.notify(); });
    while (!stop.stop_requested() && finished_ < states_.size() && Clock::now() < deadline_) {
      bool progressed = false;
      const auto now = Clock::now();
      for (std::size_t client = 0; client < states_.size(); ++client) {
        progressed = step(client, now) || progressed;
      }
      if (!progressed) wait_for_room();
    }
  }

 private:
  // A batch bounds how long one client holds the thread while others wait.
  static constexpr std::uint64_t kMaxBatch = 16;

  struct State {
    std::string pending;  // bytes written to nobody yet
    std::size_t pending_offset = 0;
    std::uint64_t next_seq = 0;
    bool finished = false;
  };

  bool step(std::size_t client, Clock::time_point now) {
    auto& state = states_[client];
    if (state.finished) return false;
    if (!progress_[client].open.load(std::memory_order_relaxed)) {
      finish(client);
      return false;
    }
    if (state.pending.empty()) {
      const auto count = sendable(client, now);
      if (count == 0) return false;
      compose(client, count);
    }
    return flush(client);
  }

  // Messages the window lets `client` send now (--rate aside).
  [[nodiscard]] std::uint64_t window_room(std::size_t client) const {
    const auto next = states_[client].next_seq;
    const auto window_end = progress_[client].acked.load(std::memory_order_relaxed) + window_;
    const auto room = window_end > next ? window_end - next : 0;
    return std::min<std::uint64_t>(room, config_.messages - next);
  }

  [[nodiscard]] std::uint64_t sendable(std::size_t client, Clock::time_point now) const {
    const auto next = states_[client].next_seq;
    auto count = std::min<std::uint64_t>(window_room(client), kMaxBatch);
    if (config_.rate > 0) {
      const auto due = static_cast<std::uint64_t>(seconds(now - start_) * config_.rate) + 1;
      count = std::min<std::uint64_t>(count, due > next ? due - next : 0);
    }
    return count;
  }

  void compose(std::size_t client, std::uint64_t count) {
    auto& state = states_[client];
    state.pending.clear();
    state.pending_offset = 0;
    const auto send_ns = to_ns(Clock::now());
    for (std::uint64_t i = 0; i < count; ++i) {
      append_line(state.pending, Token{run_, client, state.next_seq++, send_ns},
                  config_.message_size);
    }
  }

  // Writes what is pending; true if any byte went out.
  bool flush(std::size_t client) {
    auto& state = states_[client];
    bool wrote = false;
    while (state.pending_offset < state.pending.size()) {
      const auto left = state.pending.size() - state.pending_offset;
      const auto sent = ::send(sockets_[client].get(), state.pending.data() + state.pending_offset,
                               left, MSG_NOSIGNAL);
      if (sent > 0) {
        state.pending_offset += static_cast<std::size_t>(sent);
        wrote = true;
      } else if (sent < 0 && errno == EINTR) {
        continue;
      } else if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        return wrote;
      } else {
        progress_[client].open.store(false, std::memory_order_relaxed);
        finish(client);
        return wrote;
      }
    }
    state.pending.clear();
    progress_[client].sent.store(state.next_seq, std::memory_order_relaxed);
    if (state.next_seq == config_.messages) finish(client);
    return wrote;
  }

  void finish(std::size_t client) {
    if (states_[client].finished) return;
    states_[client].finished = true;
    ++finished_;
  }

  // Sleeps in poll() until the receiver moves a window, a full socket drains,
  // the next message falls due (--rate), the run is stopped or the deadline.
  void wait_for_room() {
    std::vector<pollfd> watched{{wake_.fd(), POLLIN, 0}};
    auto wake_at = deadline_;
    for (std::size_t client = 0; client < states_.size(); ++client) {
      const auto& state = states_[client];
      if (state.finished) continue;
      if (!state.pending.empty()) {
        watched.push_back({sockets_[client].get(), POLLOUT, 0});
      } else if (config_.rate > 0 && window_room(client) > 0) {
        // Only then: a client whose window is full waits for the receiver, not the clock.
        wake_at = std::min(wake_at, due_time(state.next_seq));
      }
    }
    const auto timeout = std::chrono::ceil<milliseconds>(wake_at - Clock::now());
    const int ready = ::poll(watched.data(), watched.size(),
                             static_cast<int>(std::max<milliseconds::rep>(timeout.count(), 0)));
    if (ready > 0 && (watched.front().revents & POLLIN) != 0) wake_.drain();
  }

  [[nodiscard]] Clock::time_point due_time(std::uint64_t seq) const {
    const std::chrono::duration<double> offset(static_cast<double>(seq) / config_.rate);
    return start_ + std::chrono::duration_cast<Clock::duration>(offset);
  }

  const BenchConfig& config_;
  std::size_t window_;
  std::span<const FileDescriptor> sockets_;
  std::span<PeerProgress> progress_;
  const WakeSignal& wake_;
  std::uint32_t run_;
  Clock::time_point start_;
  Clock::time_point deadline_;
  std::vector<State> states_;
  std::size_t finished_ = 0;
};

// --- One message run --------------------------------------------------------

class MessageRun {
 public:
  MessageRun(const BenchConfig& config, Clock::time_point deadline)
      : config_(config),
        deadline_(deadline),
        run_id_(new_run_id()),
        framers_(config.clients, LineFramer(kMaxServerLine)),
        first_lines_(config.clients),
        checker_(config.clients, config.messages, run_id_),
        progress_(config.clients),
        window_(effective_window(config), progress_) {
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
    report.window = effective_window(config_);
    report.greeted = first_lines_.count();
    if (config_.server_pid) report.server_before = read_process_stats(*config_.server_pid);
    start_ = Clock::now();
    last_delivery_ = start_;
    {
      Sender sender(config_, connections_.sockets(), progress_, wake_, run_id_, start_, deadline_);
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
    if (progress_shown_) std::fputs("\r\033[K", stderr);
  }

  void show_progress(Clock::time_point now) {
    if (!config_.progress || now - start_ < kQuietProgressFor ||
        now - last_progress_ < kProgressEvery) {
      return;
    }
    last_progress_ = now;
    progress_shown_ = true;
    const auto delivered = checker_.counts().delivered;
    const auto expected = checker_.expected_total();
    fmt::print(stderr, "\rlochat-bench: {}/{} deliveries ({:.0f}%), {:.0f}/s, {:.1f} s\033[K",
               delivered, expected,
               100.0 * static_cast<double>(delivered) / static_cast<double>(expected),
               static_cast<double>(delivered) / seconds(now - start_), seconds(now - start_));
    std::fflush(stderr);
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
      const std::string line = roll_call_ + "\n";
      if (::send(connections_.sockets()[0].get(), line.data(), line.size(), MSG_NOSIGNAL) !=
          static_cast<ssize_t>(line.size())) {
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
  WakeSignal wake_;
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

ConnectReport run_connect_only(const BenchConfig& config) {
  const auto deadline = Clock::now() + config.timeout;
  const auto target = resolve_target(config);
  ConnectReport report;
  report.config = config;
  if (config.server_pid) report.server_before = read_process_stats(*config.server_pid);
  Connections connections;
  FirstLines first_lines(config.connect_only);
  Connections::Handler handler;
  handler.on_bytes = [&first_lines](std::size_t client, std::string_view bytes, Clock::time_point) {
    first_lines.on_bytes(client, bytes);
  };
  handler.on_closed = [&first_lines](std::size_t client) { first_lines.on_closed(client); };
  auto plan = connect_plan(config, deadline);
  plan.count = config.connect_only;
  report.connect_error = connect_all(connections, first_lines, target, plan, handler);
  if (config.expect_greeting) {
    wait_for_first_lines(connections, handler, first_lines,
                         std::min(deadline, Clock::now() + config.greeting_timeout));
  }
  if (config.server_pid) report.server_hold_start = read_process_stats(*config.server_pid);
  const auto hold_started = Clock::now();
  keep_reading(connections, handler, std::min(deadline, hold_started + config.hold));
  report.held_for = Clock::now() - hold_started;
  report.connected = connections.established();
  report.greeted = first_lines.count();
  report.closed = connections.closed_by_server();
  for (std::size_t client = 0; client < connections.started(); ++client) {
    const bool heard = first_lines.heard(client) || !config.expect_greeting;
    if (heard && connections.is_open(client)) ++report.held;
  }
  if (config.server_pid) report.server_after = read_process_stats(*config.server_pid);
  return report;
}

}  // namespace lochat::bench
