#pragma once

// The sending side of a message run, internal to lochat-bench: the window of
// messages in flight per sender, and the sending thread. PeerProgress is
// what the sending and the receiving thread share (atomics); DeliveryWindow
// belongs to the receiving thread, Sender to the sending thread;
// lines_in_next_write is a pure function.
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <memory>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "bench_connections.hpp"
#include "lochat/net/event_fd_wake.hpp"

namespace lochat::bench {

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

// How many lines a client's next send() carries: `lines_per_write`, or all
// that are `left` when fewer; 0 while the window and the rate `allow` fewer
// than that, so that every write carries exactly as many lines as asked.
inline std::uint64_t lines_in_next_write(std::uint64_t lines_per_write, std::uint64_t left,
                                         std::uint64_t allowed) {
  const auto wanted = std::min(lines_per_write, left);
  return allowed >= wanted ? wanted : 0;
}

// The sending thread: one write per client in turn (round robin), each of
// --lines-per-write lines, as the window and the rate allow; a write the
// kernel took only in part is finished before that client's next. Waits in
// poll() (on the receiver's wake-up and on full sockets) when nothing can be sent.
class Sender {
 public:
  Sender(const BenchConfig& config, std::span<const std::unique_ptr<Link>> links,
         std::span<PeerProgress> progress, const EventFdWake& wake, std::uint32_t run,
         Clock::time_point start, Clock::time_point deadline)
      : config_(config),
        window_(config.window),
        links_(links),
        progress_(progress),
        wake_(wake),
        run_(run),
        start_(start),
        deadline_(deadline),
        states_(links.size()) {}

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

  // Lines of the next write, if `allowed` lines may go (see lines_in_next_write).
  [[nodiscard]] std::uint64_t next_write(std::size_t client, std::uint64_t allowed) const {
    const auto left = config_.messages - states_[client].next_seq;
    return lines_in_next_write(config_.lines_per_write, left, allowed);
  }

  [[nodiscard]] std::uint64_t sendable(std::size_t client, Clock::time_point now) const {
    const auto next = states_[client].next_seq;
    auto allowed = window_room(client);
    if (config_.rate > 0) {
      const auto due = static_cast<std::uint64_t>(seconds(now - start_) * config_.rate) + 1;
      allowed = std::min<std::uint64_t>(allowed, due > next ? due - next : 0);
    }
    return next_write(client, allowed);
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

  // Writes what is pending; true if any byte went out. What the kernel (or
  // TLS) did not take stays as it is, so a retried TLS write starts with the
  // same bytes, as OpenSSL requires.
  bool flush(std::size_t client) {
    auto& state = states_[client];
    bool wrote = false;
    while (state.pending_offset < state.pending.size()) {
      const auto written =
          links_[client]->write(std::string_view(state.pending).substr(state.pending_offset));
      if (written.status == Link::Written::Status::done) {
        state.pending_offset += written.bytes;
        wrote = wrote || written.bytes > 0;
      } else if (written.status == Link::Written::Status::would_block) {
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
        watched.push_back({links_[client]->fd(), POLLOUT, 0});
      } else if (const auto lines = next_write(client, window_room(client));
                 config_.rate > 0 && lines > 0) {
        // Only then: a client whose window is short waits for the receiver, not the clock.
        wake_at = std::min(wake_at, due_time(state.next_seq + lines - 1));
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
  std::span<const std::unique_ptr<Link>> links_;
  std::span<PeerProgress> progress_;
  const EventFdWake& wake_;
  std::uint32_t run_;
  Clock::time_point start_;
  Clock::time_point deadline_;
  std::vector<State> states_;
  std::size_t finished_ = 0;
};

}  // namespace lochat::bench
