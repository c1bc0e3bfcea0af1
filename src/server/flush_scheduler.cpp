#include "lochat/server/flush_scheduler.hpp"

#include <algorithm>
#include <iterator>
#include <utility>

namespace lochat {

FlushScheduler::FlushScheduler(Clock::duration window)
    : window_(window), thread_([this](const std::stop_token& stop) { run(stop); }) {}

FlushScheduler::~FlushScheduler() {
  thread_.request_stop();
  thread_.join();
}

void FlushScheduler::owe(std::vector<std::shared_ptr<Participant>>& recipients) {
  if (recipients.empty()) return;
  bool first = false;
  {
    const std::lock_guard lock(mutex_);
    first = owed_.empty();
    if (first) {
      due_ = Clock::now() + window_;
      owed_.swap(recipients);
    } else {
      owed_.insert(owed_.end(), std::make_move_iterator(recipients.begin()),
                   std::make_move_iterator(recipients.end()));
    }
  }
  recipients.clear();
  if (first) owed_changed_.notify_one();
}

void FlushScheduler::owe(std::shared_ptr<Participant> recipient) {
  std::vector<std::shared_ptr<Participant>> one{std::move(recipient)};
  owe(one);
}

void FlushScheduler::run(const std::stop_token& stop) {
  std::vector<std::shared_ptr<Participant>> due;
  while (true) {
    {
      std::unique_lock lock(mutex_);
      owed_changed_.wait(lock, stop, [this] { return !owed_.empty(); });
      // Once stopping, what is owed is paid at once rather than after its window.
      if (!stop.stop_requested()) {
        owed_changed_.wait_until(lock, stop, due_, [] { return false; });
      }
      due.swap(owed_);
    }
    pay(due);
    if (stop.stop_requested()) {
      const std::lock_guard lock(mutex_);
      if (owed_.empty()) return;
    }
  }
}

// A recipient owed by many senders in one window is flushed once.
void FlushScheduler::pay(std::vector<std::shared_ptr<Participant>>& due) const {
  std::sort(due.begin(), due.end());
  due.erase(std::unique(due.begin(), due.end()), due.end());
  for (const auto& recipient : due) recipient->flush_held();
  due.clear();
}

}  // namespace lochat
