#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <stop_token>
#include <thread>
#include <vector>

#include "lochat/server/participant.hpp"

namespace lochat {

// Pays, from one thread of its own, every flush the sessions owe: a client
// that held lines back (to write them with others' lines in one go, see
// Connection) gets its flush_held() once the coalescing window has passed.
// One timer for the whole server: a session's thread then sleeps until its
// client sends something, never just to end a window. (Measured: with a
// timer per session, two thirds of the server's wake-ups at 200 clients were
// those timers.)
//
// Threads: owe() from every session thread; the scheduler's own thread
// flushes. mutex_ guards owed_ and due_.
class FlushScheduler {
 public:
  using Clock = std::chrono::steady_clock;

  explicit FlushScheduler(Clock::duration window);
  // Stops the thread after paying everything still owed.
  ~FlushScheduler();
  FlushScheduler(const FlushScheduler&) = delete;
  FlushScheduler& operator=(const FlushScheduler&) = delete;

  // Takes `recipients` (leaving it empty) to flush at the end of a window
  // that starts now, unless one is running already.
  void owe(std::vector<std::shared_ptr<Participant>>& recipients);
  void owe(std::shared_ptr<Participant> recipient);

 private:
  void run(const std::stop_token& stop);
  void pay(std::vector<std::shared_ptr<Participant>>& due) const;

  const Clock::duration window_;
  std::mutex mutex_;
  std::condition_variable_any owed_changed_;
  std::vector<std::shared_ptr<Participant>> owed_;
  Clock::time_point due_{};
  std::jthread thread_;  // last: started once the rest exists, joined first
};

}  // namespace lochat
