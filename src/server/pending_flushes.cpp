#include "lochat/server/pending_flushes.hpp"

#include <algorithm>
#include <utility>

namespace lochat {

namespace {

// Recipients listed before the list is first cleared of duplicates.
constexpr std::size_t kDedupeAt = 256;

}  // namespace

PendingFlushes::PendingFlushes() : dedupe_at_(kDedupeAt) {}

void PendingFlushes::owe(std::shared_ptr<Participant> recipient) {
  owed_.push_back(std::move(recipient));
  if (owed_.size() < dedupe_at_) return;
  std::sort(owed_.begin(), owed_.end());
  owed_.erase(std::unique(owed_.begin(), owed_.end()), owed_.end());
  dedupe_at_ = std::max(kDedupeAt, 2 * owed_.size());
}

void PendingFlushes::hand_over(FlushScheduler& scheduler) {
  scheduler.owe(owed_);
  reset_dedupe();
}

void PendingFlushes::settle_all() {
  for (const auto& recipient : owed_) recipient->flush_held();
  owed_.clear();
  reset_dedupe();
}

void PendingFlushes::reset_dedupe() {
  dedupe_at_ = kDedupeAt;
}

}  // namespace lochat
