#pragma once

#include <poll.h>
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <span>

namespace lochat {

// Wakes one thread out of its poll() without a file descriptor, so a session
// costs the server one descriptor (its socket), not two: 10,000 clients fit
// in a 20,000-descriptor limit. notify() sends SIGURG to the waiting thread,
// which keeps that signal blocked except inside ppoll(): a wake-up sent while
// the thread is busy stays pending and ends its next wait at once, so none is
// lost. (SIGURG, because its default action is to be ignored.)
//
// Threads: attach(), wait() and detach() belong to the waiting thread;
// notify() may be called from any thread. mutex_ guards waiter_ and attached_,
// so no signal is ever sent to a thread that has detached (and may be gone).
class ThreadWake {
 public:
  // Makes the calling thread the one notify() wakes.
  void attach();
  // From here on notify() only records the wake-up; call before the thread ends.
  void detach();
  void notify();
  // poll() on `watched` for up to `timeout`, returning early (-1, EINTR, or at
  // once) if notify() was called since the previous wait.
  int wait(std::span<pollfd> watched, std::chrono::milliseconds timeout);

 private:
  std::atomic<bool> pending_{false};
  sigset_t wait_mask_{};  // the waiting thread's own

  std::mutex mutex_;
  pthread_t waiter_{};
  bool attached_ = false;
};

}  // namespace lochat
