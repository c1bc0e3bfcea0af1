#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <vector>

#include "lochat/server/participant.hpp"

namespace lochat {

// The recipients that held back lines one sender gave them (Delivery::held_back),
// and when the sender pays them their flush_held(): once `window` has passed
// since the first of them, from the sender's own loop. Owned by one sender's
// thread; not thread-safe.
//
// Many broadcasts within one window (a burst of commands, with flood control
// off) add the same recipients again: duplicates are dropped whenever the list
// has doubled, so it stays near the number of recipients.
class PendingFlushes {
 public:
  using Clock = std::chrono::steady_clock;

  explicit PendingFlushes(Clock::duration window);

  // `recipient` held back a delivery from this sender.
  void owe(std::shared_ptr<Participant> recipient);
  // Pays every recipient if the window has passed by `now`.
  void settle_if_due(Clock::time_point now);
  // Pays every recipient at once (the sender is leaving or closing).
  void settle_all();

  [[nodiscard]] bool empty() const { return owed_.empty(); }
  // When settle_if_due() will pay; meaningful only when !empty().
  [[nodiscard]] Clock::time_point due() const { return due_; }
  [[nodiscard]] std::size_t size() const { return owed_.size(); }

 private:
  const Clock::duration window_;
  std::vector<std::shared_ptr<Participant>> owed_;
  Clock::time_point due_{};
  std::size_t dedupe_at_;  // owed_'s size at which duplicates go
};

}  // namespace lochat
