#pragma once

#include <poll.h>
#include <signal.h>
#include <sys/types.h>

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
// A signal is sent only while the thread is inside ppoll(); a busy thread just
// finds pending_ set when it next waits (waiting_ and pending_ are seq_cst, so
// of a notify and a wait that cross, at least one sees the other).
//
// Threads: attach(), wait() and detach() belong to the waiting thread;
// notify() may be called from any thread. mutex_ guards waiter_ and attached_,
// so no signal is ever sent to a thread that has detached (and may be gone).
class SignalWake {
 public:
  // Makes the calling thread the one notify() wakes.
  void attach();
  // From here on notify() only records the wake-up; call before the thread ends.
  void detach();
  void notify();
  // poll() on `watched` for up to `timeout`, returning early (-1, EINTR, or at
  // once) if notify() was called since the previous wait.
  int wait(std::span<pollfd> watched, std::chrono::nanoseconds timeout);

 private:
  std::atomic<bool> pending_{false};
  std::atomic<bool> waiting_{false};
  sigset_t wait_mask_{};  // the waiting thread's own

  std::mutex mutex_;
  pid_t process_ = 0;
  pid_t waiter_ = 0;  // kernel thread id, for tgkill
  bool attached_ = false;
};

}  // namespace lochat
