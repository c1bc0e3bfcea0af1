// Whole lochat-bench runs against a tiny relay in this process, on 127.0.0.1:
// what a run counts as failed.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "bench_connections.hpp"
#include "lochat/bench.hpp"
#include "lochat/net/socket.hpp"
#include "lochat/wire/framing.hpp"

namespace lochat::bench {
namespace {

using namespace std::chrono_literals;

// Closes `socket` and returns once the peer's kernel has acknowledged the FIN
// (a lingering close), so the peer's end reads as closed before anything sent
// afterwards, on any connection, can arrive. A plain close() only queues the
// FIN, and under load loopback may process it (in ksoftirqd, on another CPU)
// after lines sent later to other clients.
void close_acknowledged(FileDescriptor& socket) {
  constexpr int kLingerSeconds = 5;  // only a peer whose kernel never answers waits this long
  const linger lingering{.l_onoff = 1, .l_linger = kLingerSeconds};
  ::setsockopt(socket.get(), SOL_SOCKET, SO_LINGER, &lingering, sizeof lingering);
  socket.reset();
}

// A line relay on one thread: greets each client, sends each line to all the
// others. Told to, it closes the first client it accepted (the victim) as
// soon as the victim has sent all its messages and received all of the
// others', and before the victim's last line goes to them: every delivery
// still arrives, the other clients are still waiting for one when the
// victim's connection ends, and the victim was reading all along.
//
// The close waits until the victim's end has acknowledged it (see
// close_acknowledged): only then has the connection ended before the lines
// that follow, and only then must the bench, having every delivery, count it.
class Relay {
 public:
  struct Plan {
    std::size_t clients = 0;
    std::size_t messages = 0;
    bool close_victim = false;
  };

  explicit Relay(Plan plan)
      : plan_(plan),
        listener_(listen_tcp("127.0.0.1", 0, kBacklog)),
        thread_([this](const std::stop_token& stop) { serve(stop); }) {}

  [[nodiscard]] std::uint16_t port() const { return local_port(listener_); }

 private:
  static constexpr int kBacklog = 16;
  static constexpr std::size_t kVictim = 0;
  static constexpr auto kStopCheck = 50ms;  // how soon the thread notices it is to end
  static constexpr auto kSendPatience = 5s;

  struct Member {
    FileDescriptor socket;
    LineFramer framer;
  };

  void serve(const std::stop_token& stop) {
    while (!stop.stop_requested()) {
      std::vector<pollfd> watched{{listener_.get(), POLLIN, 0}};
      for (const auto& member : members_) watched.push_back({member.socket.get(), POLLIN, 0});
      if (::poll(watched.data(), watched.size(), static_cast<int>(kStopCheck.count())) <= 0) {
        continue;
      }
      for (std::size_t index = 0; index < members_.size(); ++index) {
        if ((watched[index + 1].revents & (POLLIN | POLLHUP)) != 0) read_from(index);
      }
      if ((watched[0].revents & POLLIN) != 0) accept_one();
    }
  }

  void accept_one() {
    FileDescriptor socket(::accept(listener_.get(), nullptr, nullptr));
    if (!socket.valid()) return;
    send_all(socket, "welcome to the relay\n", std::chrono::steady_clock::now() + kSendPatience);
    members_.push_back({std::move(socket), LineFramer(kMaxLine)});
  }

  void read_from(std::size_t index) {
    auto& member = members_[index];
    if (!member.socket.valid()) return;
    std::array<char, kMaxLine> buffer{};
    const auto result = receive_some(member.socket, buffer);
    if (result.status == ReadResult::Status::closed) member.socket.reset();
    if (result.status != ReadResult::Status::data) return;
    member.framer.feed(
        std::string_view(buffer.data(), result.bytes),
        [&](std::string_view line) { relay(index, std::string(line) + "\n"); }, [] {});
  }

  // To the victim first, then perhaps closing it, then to the others.
  void relay(std::size_t sender, const std::string& line) {
    const bool token = line.find("LB|") != std::string::npos;
    if (token && sender == kVictim) ++from_victim_;
    if (sender != kVictim && deliver(kVictim, line) && token) ++to_victim_;
    if (plan_.close_victim && victim_done()) close_acknowledged(members_[kVictim].socket);
    for (std::size_t index = 0; index < members_.size(); ++index) {
      if (index != sender && index != kVictim) deliver(index, line);
    }
  }

  bool deliver(std::size_t index, const std::string& line) {
    if (index >= members_.size() || !members_[index].socket.valid()) return false;
    return send_all(members_[index].socket, line, std::chrono::steady_clock::now() + kSendPatience);
  }

  [[nodiscard]] bool victim_done() const {
    return from_victim_ == plan_.messages && to_victim_ == (plan_.clients - 1) * plan_.messages;
  }

  static constexpr std::size_t kMaxLine = 4096;

  Plan plan_;
  FileDescriptor listener_;
  std::vector<Member> members_;  // in the order accepted; the thread's alone
  std::size_t from_victim_ = 0;  // benchmark lines read from the victim
  std::size_t to_victim_ = 0;    // ... and written to it
  std::jthread thread_;          // last: stopped and joined before the rest goes
};

BenchConfig run_against(const Relay& relay, const Relay::Plan& plan) {
  BenchConfig config;
  config.port = relay.port();
  config.clients = plan.clients;
  config.messages = plan.messages;
  config.timeout = 30s;
  config.stall_timeout = 2s;  // bounds the wait for what a closed client can no longer send
  return config;
}

TEST(BenchRun, ARunAgainstAFaithfulRelayPasses) {
  const Relay::Plan plan{.clients = 3, .messages = 200, .close_victim = false};
  const Relay relay(plan);
  const auto report = run_bench(run_against(relay, plan));
  EXPECT_TRUE(report.passed()) << format_table(report);
  EXPECT_EQ(report.disconnected, 0u);
}

// Every delivery arrives and none is damaged, so before the server's closing
// of clients counted, this run passed.
TEST(BenchRun, ARunInWhichTheServerClosesAReadingClientFails) {
  const Relay::Plan plan{.clients = 3, .messages = 200, .close_victim = true};
  const Relay relay(plan);
  const auto report = run_bench(run_against(relay, plan));
  EXPECT_EQ(report.counts.delivered, 3u * 2 * 200) << format_table(report);
  EXPECT_EQ(report.counts.errors(), 0u);
  EXPECT_TRUE(report.finished);
  EXPECT_EQ(report.disconnected, 1u);
  EXPECT_FALSE(report.passed());
  EXPECT_NE(format_table(report).find("FAIL: the server closed 1 of the clients"),
            std::string::npos)
      << format_table(report);
  EXPECT_NE(format_json(report).find(R"("passed":false)"), std::string::npos);
}

// A run stops reading once every delivery is in, and a connection's end is
// read only after the lines before it: a server that closes a client just
// before its last delivery can leave that end unread. Not reading it must not
// make the close uncounted (the test above caught this only when its reads
// happened to fall that way; here they always do).
TEST(BenchConnections, ACloseStillBehindUnreadLinesIsCounted) {
  const auto listener = listen_tcp("127.0.0.1", 0, 4);
  BenchConfig config;
  config.port = local_port(listener);
  const auto target = resolve_target(config);
  Connections connections;
  std::vector<std::size_t> ended;
  const Connections::Handler handler{
      .on_bytes = [](std::size_t, std::string_view, Clock::time_point) {},
      .on_closed = [&ended](std::size_t client) { ended.push_back(client); }};
  connections.start(target);
  connections.start(target);
  const auto give_up = Clock::now() + 10s;
  while (connections.connecting() > 0 && Clock::now() < give_up) {
    connections.poll(100ms, handler);
  }
  ASSERT_EQ(connections.established(), 2u);
  FileDescriptor first(::accept(listener.get(), nullptr, nullptr));
  FileDescriptor second(::accept(listener.get(), nullptr, nullptr));
  ASSERT_TRUE(first.valid() && second.valid());
  const auto closed_client =
      local_port(connections.links()[0]->socket()) == peer_endpoint(first).port ? 0u : 1u;

  const auto patience = Clock::now() + 5s;
  ASSERT_TRUE(send_all(first, "a line\nand another\n", patience));
  ASSERT_TRUE(send_all(second, "a line for the one left open\n", patience));
  close_acknowledged(first);  // the client's kernel has the end; the client has read nothing

  connections.collect_closes(handler);
  EXPECT_EQ(connections.closed_by_server(), 1u);
  EXPECT_EQ(ended, std::vector<std::size_t>{closed_client});
  EXPECT_FALSE(connections.is_open(closed_client));
  EXPECT_TRUE(connections.is_open(1 - closed_client));
}

}  // namespace
}  // namespace lochat::bench
