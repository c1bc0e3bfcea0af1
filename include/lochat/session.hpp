#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lochat/framing.hpp"
#include "lochat/history.hpp"
#include "lochat/hub.hpp"
#include "lochat/outbound_queue.hpp"
#include "lochat/socket.hpp"
#include "lochat/thread_wake.hpp"
#include "lochat/token_bucket.hpp"

namespace lochat {

struct SessionConfig {
  std::size_t max_line = kDefaultMaxLine;
  std::size_t sendq_bytes = 256 * 1024;
  // Kernel send buffer per client: kept modest so a stalled reader's bytes
  // pile up in the bounded queue above, where they are counted, not in the kernel.
  int socket_send_buffer = 64 * 1024;
  // SO_RCVTIMEO/SO_SNDTIMEO on the socket, and how long a newcomer stays
  // unannounced unless it names itself or speaks first.
  std::chrono::milliseconds io_timeout{1000};
  // How long a closing session keeps trying to flush what is queued.
  std::chrono::milliseconds linger{500};
  // Flood control: lines a second, and how many may come at once (a paste).
  // Lines beyond that are delayed, not dropped; 0 turns it off.
  double rate = 10.0;
  std::size_t burst = 30;
  // A client with more delayed lines than this (or more than kMaxDelayedBytes
  // of them) is flooding and is disconnected.
  std::size_t flood_lines = 200;
  // Disconnect clients silent for this long; 0 = never.
  std::chrono::milliseconds idle_timeout{0};
  // Join, leave and disconnect notices go out only while at most this many are
  // online (0 = always): in a crowd they are noise, and their cost grows with
  // the square of the crowd (Twitch's chat draws the same line at 1,000).
  std::size_t presence_limit = 200;
};

inline constexpr std::size_t kMaxDelayedBytes = 64 * 1024;

// One connected client: its thread runs run(), which greets it, reads and
// handles its lines, and writes its outbound queue to the socket.
//
// Threads: run() and everything it calls belong to the session's own thread;
// deliver(), flush_held() and request_stop() may be called from any thread.
// State touched by both is the queue (its own mutex), the writer's state
// (write_mutex_), the wake signal and the atomics.
//
// Writing: whichever thread holds write_mutex_ writes everything queued. A
// sender delivering a line writes it to an idle recipient's socket itself
// (non-blocking), so a delivery costs no wake-up and no context switch; only
// when the socket is full does the recipient's own thread take over, waiting
// for POLLOUT. A thread that finds the lock taken leaves its line queued: the
// holder looks at the queue again after unlocking, so no line is stranded.
//
// Coalescing: a delivery from a different sender than the last one, within
// kCoalesceWindow (2 ms) of the last write to this client, is held back, to
// go out in one write with everything else that arrives meanwhile (unless
// 32 KiB are queued already: that is one large write as it is). The sender
// owes the recipient a flush_held() at the end of the window (held_back_),
// which it pays from its own loop, a thread that is awake anyway or sleeps
// with that deadline; whichever write comes first takes all that is queued.
// The session's own replies wait out a running window the same way.
// With many talkers a client gets one TCP segment per window instead of one
// per sender, as Nagle's algorithm gives ncat, without its 40 ms stall behind
// a delayed ACK; a client hearing a single talker gets each of its reads at once.
class Session final : public Participant, public std::enable_shared_from_this<Session> {
 public:
  using FinishedHandler = std::function<void()>;

  Session(FileDescriptor socket, Endpoint peer, Hub& hub, History& history, SessionConfig config,
          FinishedHandler on_finished);

  void run();
  Delivery deliver(std::span<const SharedLine> lines, const Participant* from) override;
  void flush_held() override;
  // Queues the shutdown notice and makes run() flush what is queued (until
  // `flush_until` at the latest) and return.
  void request_stop(std::chrono::steady_clock::time_point flush_until);

  [[nodiscard]] bool finished() const { return finished_.load(); }
  [[nodiscard]] const Endpoint& peer() const { return peer_; }

 private:
  enum class Step { keep_going, close };

  // One row of the command table (ngircd-style): "/name argument" runs handler(argument).
  struct Command {
    std::string_view name;
    std::string_view usage;
    void (Session::*handler)(std::string_view argument);
  };
  static std::span<const Command> command_table();

  void greet();
  void serve();
  Step read_available();
  void accept_line(std::string_view line);
  void handle_delayed_lines();
  [[nodiscard]] std::chrono::nanoseconds poll_timeout() const;
  [[nodiscard]] bool written_lately(std::chrono::steady_clock::time_point now) const;
  [[nodiscard]] bool idle_too_long() const;
  void disconnect_for(std::string reason);
  void handle_line(std::string_view line);
  void publish(std::string line);
  void send_published();
  void broadcast(const SharedLine& line);
  void note_held_back(std::size_t held_before);
  void settle_held_back(std::chrono::steady_clock::time_point now);
  void announce();
  void announce_departure();
  void broadcast_presence(std::string notice, std::size_t online);
  void handle_command(std::string_view command, std::string_view argument);
  void command_help(std::string_view argument);
  void command_quit(std::string_view reason);
  void command_nick(std::string_view name);
  void command_who(std::string_view argument);
  void command_msg(std::string_view argument);
  void command_me(std::string_view text);
  void send_to_self(std::string text);
  // What a flush left: all written; some still queued (the socket is full, or
  // others kept adding), for the session's thread to write; or the socket failed.
  enum class Flush { done, pending, failed };
  enum class WriterWait { wait, skip_if_busy };
  Flush flush_output(WriterWait wait);
  Flush write_queued_locked();
  void write_queued_now();
  Step write_pending();
  void advance_written(std::size_t bytes);
  void close_socket();
  void flush_before_close();
  [[nodiscard]] bool has_pending_output() const;
  [[nodiscard]] bool output_waits_for_socket() const;
  bool own_write_waits();

  FileDescriptor socket_;
  const Endpoint peer_;
  Hub& hub_;
  History& history_;
  const SessionConfig config_;
  FinishedHandler on_finished_;

  OutboundQueue queue_;
  ThreadWake wake_;
  std::atomic<bool> stop_requested_{false};
  std::atomic<std::chrono::steady_clock::time_point> stop_flush_until_{};  // set before the flag
  std::atomic<bool> finished_{false};

  // Set by a writer that found the socket full (cleared by the session's
  // thread once it is writable) or broken: deliveries then only queue.
  std::atomic<bool> output_blocked_{false};
  std::atomic<bool> output_failed_{false};
  // Coalescing state (see above): when the socket was last written (steady
  // clock), and who delivered last.
  std::atomic<std::chrono::steady_clock::duration> last_write_{};
  std::atomic<const Participant*> last_sender_{nullptr};

  // Guards writing_, writing_front_, written_of_front_, and the socket's
  // send side and closing (socket_ itself is reset under it).
  std::mutex write_mutex_;
  // Taken from queue_; writing_[writing_front_] is the first not fully written.
  std::vector<SharedLine> writing_;
  std::size_t writing_front_ = 0;
  std::size_t written_of_front_ = 0;

  // Owned by the session's thread alone.
  LineFramer framer_;
  std::string published_;  // this read's public lines, not yet sent
  bool closing_ = false;   // flushing before close: nothing waits for a window
  std::chrono::steady_clock::time_point own_write_at_;  // when own_write_waits() ends, or {}
  HeldBack held_back_;  // recipients holding back this session's lines, to settle
  std::chrono::steady_clock::time_point settle_held_back_at_;
  std::size_t dedupe_held_back_at_;  // held_back_'s size at which duplicates go
  std::string name_;                 // the hub holds the same name for others to look up
  // Others hear "joined" once the client has had a moment to pick a name:
  // at its first line or when the first poll interval passes, whichever is first.
  bool announced_ = false;
  std::chrono::steady_clock::time_point announce_by_{};
  TokenBucket bucket_;
  // A list, not a deque: a client that never floods allocates nothing for it.
  std::list<std::string> delayed_lines_;  // read but waiting for the flood control
  std::size_t delayed_bytes_ = 0;
  std::chrono::steady_clock::time_point last_input_{};
  bool quit_requested_ = false;
  std::string departure_reason_;  // from /quit
  std::string kick_reason_;       // why the server disconnected the client, if it did
};

}  // namespace lochat
