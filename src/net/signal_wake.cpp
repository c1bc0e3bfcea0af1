#include "lochat/net/signal_wake.hpp"

#include <sys/syscall.h>
#include <unistd.h>

namespace lochat {

namespace {

constexpr int kWakeSignal = SIGURG;

// The signal's only job is to interrupt ppoll(); the handler has nothing to do.
void on_wake_signal(int /*signal*/) {}

void install_wake_handler_once() {
  static std::once_flag installed;
  std::call_once(installed, [] {
    struct sigaction action {};
    action.sa_handler = on_wake_signal;
    sigemptyset(&action.sa_mask);
    ::sigaction(kWakeSignal, &action, nullptr);
  });
}

timespec to_timespec(std::chrono::nanoseconds timeout) {
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(timeout);
  const auto nanoseconds = std::chrono::duration_cast<std::chrono::nanoseconds>(timeout - seconds);
  return {static_cast<time_t>(seconds.count()), static_cast<long>(nanoseconds.count())};
}

}  // namespace

void SignalWake::attach() {
  install_wake_handler_once();
  sigset_t wake_only;
  sigemptyset(&wake_only);
  sigaddset(&wake_only, kWakeSignal);
  sigset_t before;
  ::pthread_sigmask(SIG_BLOCK, &wake_only, &before);
  wait_mask_ = before;
  sigdelset(&wait_mask_, kWakeSignal);
  std::lock_guard lock(mutex_);
  process_ = ::getpid();
  waiter_ = ::gettid();
  attached_ = true;
}

void SignalWake::detach() {
  std::lock_guard lock(mutex_);
  attached_ = false;
}

void SignalWake::notify() {
  pending_.store(true);
  if (!waiting_.load()) return;
  std::lock_guard lock(mutex_);
  // tgkill rather than pthread_kill: the ids are known, so no getpid() call.
  if (attached_) ::syscall(SYS_tgkill, process_, waiter_, kWakeSignal);
}

int SignalWake::wait(std::span<pollfd> watched, std::chrono::nanoseconds timeout) {
  waiting_.store(true);
  if (pending_.exchange(false)) {
    waiting_.store(false);
    return ::poll(watched.data(), watched.size(), 0);
  }
  const timespec limit = to_timespec(timeout);
  const int ready = ::ppoll(watched.data(), watched.size(), &limit, &wait_mask_);
  // In this order: a notify before the next line leaves its signal pending
  // (it ends the next ppoll); one after it leaves pending_ set.
  pending_.store(false);
  waiting_.store(false);
  return ready;
}

}  // namespace lochat
