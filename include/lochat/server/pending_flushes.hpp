#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "lochat/server/flush_scheduler.hpp"
#include "lochat/server/participant.hpp"

namespace lochat {

// The recipients that held back lines one sender gave them (Delivery::held_back)
// during one round of the sender's work; the sender hands them to the
// server's FlushScheduler at the end of the round, with one lock. Owned by one
// sender's thread; not thread-safe.
//
// Many broadcasts in one round (a burst of commands, with flood control off)
// add the same recipients again: duplicates are dropped whenever the list has
// doubled, so it stays near the number of recipients.
class PendingFlushes {
 public:
  PendingFlushes();

  // `recipient` held back a delivery from this sender.
  void owe(std::shared_ptr<Participant> recipient);
  // The scheduler pays them at the end of its window.
  void hand_over(FlushScheduler& scheduler);
  // Pays every recipient at once (the sender is leaving or closing).
  void settle_all();

  [[nodiscard]] bool empty() const { return owed_.empty(); }
  [[nodiscard]] std::size_t size() const { return owed_.size(); }

 private:
  void reset_dedupe();

  std::vector<std::shared_ptr<Participant>> owed_;
  std::size_t dedupe_at_;  // owed_'s size at which duplicates go
};

}  // namespace lochat
