#pragma once

// The bench's client connections, internal to lochat-bench: opening many
// connections without blocking (and their TLS handshakes, with --tls),
// reading them all from one thread (epoll), and knowing who has heard a first
// line. Everything here belongs to the thread that reads; nothing is
// thread-safe but the Links it hands the sending thread (bench_link.hpp).
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bench_internal.hpp"
#include "bench_link.hpp"
#include "lochat/bench.hpp"
#include "lochat/net/socket.hpp"

namespace lochat::bench {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;

// Servers send long lines of their own (lochat's "*** Online (N): ..." lists
// every client), which must not be mistaken for damaged benchmark lines.
inline constexpr std::size_t kMaxServerLine = 1024 * 1024;

// The server's address, resolved once so that every connection goes to the
// address that was checked.
struct Target {
  sockaddr_storage address{};
  socklen_t length = 0;
  std::string text;  // "ip:port", for messages
};

// Resolves config.host once; refuses a non-loopback address without --allow-remote.
Target resolve_target(const BenchConfig& config);
std::string describe_errno(int error_number);

// Every client connection: opened without blocking and read from one thread
// (epoll). Clients are numbered in the order they were started. With a TLS
// context each connection's handshake is part of connecting: a client is
// established (and read) once it is done.
class Connections {
 public:
  struct Handler {
    std::function<void(std::size_t client, std::string_view bytes, Clock::time_point now)> on_bytes;
    // The connection is gone: closed by the server, or never established.
    std::function<void(std::size_t client)> on_closed;
  };

  // `tls`: the clients' TLS context (kept by the caller), or null for plain.
  explicit Connections(const tls::Context* tls = nullptr)
      : tls_(tls), epoll_(::epoll_create1(EPOLL_CLOEXEC)), buffer_(kReadBytes) {
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
    links_.push_back(std::make_unique<Link>(std::move(socket)));
    states_.push_back(State::connecting);
    ++connecting_;
    watch(links_.size() - 1, EPOLLOUT, EPOLL_CTL_ADD);
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
      } else if (states_[client] == State::handshaking) {
        continue_handshake(client, handler);
      } else {
        read_from(client, handler);
      }
    }
  }

  // Ends, as closed by the server, every open connection whose end has
  // already arrived, without reading or waiting. A connection's EOF is read
  // only after all the data before it, and the run stops reading once every
  // delivery is in: a close the server made before its last delivery could
  // otherwise still sit unread behind lines of that client's and go
  // uncounted, and whether the run failed would depend on the order the
  // reads happened in. POLLRDHUP is the peer's FIN, POLLHUP / POLLERR a reset,
  // however much is unread.
  void collect_closes(const Handler& handler) {
    std::vector<pollfd> watched;
    std::vector<std::size_t> clients;
    for (std::size_t client = 0; client < links_.size(); ++client) {
      if (states_[client] != State::open) continue;
      watched.push_back({links_[client]->fd(), POLLRDHUP, 0});
      clients.push_back(client);
    }
    int ready = 0;
    do {
      ready = ::poll(watched.data(), watched.size(), 0);
    } while (ready < 0 && errno == EINTR);
    for (std::size_t i = 0; ready > 0 && i < watched.size(); ++i) {
      if ((watched[i].revents & (POLLRDHUP | POLLHUP | POLLERR)) == 0) continue;
      ++closed_by_server_;
      end(clients[i], State::closed, handler);
    }
  }

  [[nodiscard]] std::size_t started() const { return links_.size(); }
  // Connections not yet usable: TCP or TLS handshake under way.
  [[nodiscard]] std::size_t connecting() const { return connecting_; }
  // ... of which this many are in their TLS handshake.
  [[nodiscard]] std::size_t handshaking() const { return handshaking_; }
  [[nodiscard]] std::size_t established() const { return established_; }
  [[nodiscard]] std::size_t closed_by_server() const { return closed_by_server_; }
  [[nodiscard]] bool is_open(std::size_t client) const { return states_[client] == State::open; }
  [[nodiscard]] const std::string& first_error() const { return first_error_; }
  // The links stay where they are until the Connections go (the sending thread holds them).
  [[nodiscard]] std::span<const std::unique_ptr<Link>> links() const { return links_; }

 private:
  enum class State : std::uint8_t { connecting, handshaking, open, closed, failed };
  static constexpr std::size_t kReadBytes = 64 * 1024;
  static constexpr std::size_t kEventsPerWait = 256;

  void fail(const std::string& why) {
    if (first_error_.empty()) first_error_ = why;
  }

  void watch(std::size_t client, std::uint32_t events, int operation) {
    epoll_event event{};
    event.events = events;
    event.data.u64 = client;
    ::epoll_ctl(epoll_.get(), operation, links_[client]->fd(), &event);
  }

  void finish_connecting(std::size_t client, const Handler& handler) {
    int error = 0;
    socklen_t length = sizeof error;
    ::getsockopt(links_[client]->fd(), SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0) {
      fail("cannot connect to " + target_text_ + ": " + describe_errno(error));
      end(client, State::failed, handler);
      return;
    }
    set_no_delay(links_[client]->socket());
    if (tls_ == nullptr) return establish(client);
    links_[client]->start_tls(*tls_);
    states_[client] = State::handshaking;
    ++handshaking_;
    continue_handshake(client, handler);
  }

  // One step of a client's TLS handshake; the next waits for what it needs of the socket.
  void continue_handshake(std::size_t client, const Handler& handler);

  void establish(std::size_t client) {
    --connecting_;
    states_[client] = State::open;
    ++established_;
    watch(client, EPOLLIN, EPOLL_CTL_MOD);
  }

  // One read per readiness event: epoll is level-triggered, so what is left
  // is reported again, and one busy client cannot starve the others.
  void read_from(std::size_t client, const Handler& handler) {
    const auto result = links_[client]->read(buffer_);
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
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, links_[client]->fd(), nullptr);
    if (states_[client] == State::connecting || states_[client] == State::handshaking) {
      --connecting_;
    }
    if (states_[client] == State::handshaking) --handshaking_;
    states_[client] = state;
    handler.on_closed(client);
  }

  const tls::Context* tls_;
  FileDescriptor epoll_;
  std::vector<std::unique_ptr<Link>> links_;
  std::vector<State> states_;
  std::vector<char> buffer_;
  std::string target_text_;
  std::string first_error_;
  std::size_t connecting_ = 0;
  std::size_t handshaking_ = 0;
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

ConnectPlan connect_plan(const BenchConfig& config, Clock::time_point deadline);
// Opens plan.count connections, with at most a few unanswered at a time;
// returns why it stopped early, or "" (see bench_connections.cpp).
std::string connect_all(Connections& connections, const FirstLines& first_lines,
                        const Target& target, const ConnectPlan& plan,
                        const Connections::Handler& handler);
// Reads until every client has had a first line (or is gone) or `deadline` passes.
void wait_for_first_lines(Connections& connections, const Connections::Handler& handler,
                          const FirstLines& first_lines, Clock::time_point deadline);
// Reads (and ignores) everything until `until`, so the server never sees us stall.
void keep_reading(Connections& connections, const Connections::Handler& handler,
                  Clock::time_point until);
// A random id for one run, so lines of another run are never counted.
std::uint32_t new_run_id();
std::int64_t to_ns(Clock::time_point time);

}  // namespace lochat::bench
