#include "bench_connections.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netdb.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <random>

namespace lochat::bench {

namespace {

struct AddrInfoDeleter {
  void operator()(addrinfo* info) const { freeaddrinfo(info); }
};

}  // namespace

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

void Connections::continue_handshake(std::size_t client, const Handler& handler) {
  const auto step = links_[client]->handshake();
  if (step.status == tls::Stream::Io::Status::done) {
    --handshaking_;
    return establish(client);
  }
  if (step.status == tls::Stream::Io::Status::would_block) {
    watch(client, step.wait == tls::Stream::Wait::writable ? EPOLLOUT : EPOLLIN, EPOLL_CTL_MOD);
    return;
  }
  // A plain server answers the ClientHello with text (or closes): say what to check.
  fail(fmt::format(
      "the TLS handshake with {} failed ({}): is that the server's TLS port?", target_text_,
      step.status == tls::Stream::Io::Status::closed ? "the server closed the connection"
                                                     : "what the server sent is not TLS"));
  end(client, State::failed, handler);
}

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
      if (connections.handshaking() > 0) {
        return fmt::format(
            "no TLS handshake finished for {} ms after {} connections: is {} a TLS port?",
            plan.patience.count(), connections.started(), target.text);
      }
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

ConnectReport run_connect_only(const BenchConfig& config) {
  const auto deadline = Clock::now() + config.timeout;
  const auto target = resolve_target(config);
  ConnectReport report;
  report.config = config;
  if (config.server_pid) report.server_before = read_process_stats(*config.server_pid);
  const auto tls = config.tls ? std::optional(tls::Context::client()) : std::nullopt;
  Connections connections(tls ? &*tls : nullptr);
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
  connections.collect_closes(handler);
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
