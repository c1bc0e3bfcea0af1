#include "lochat/server/outbound_queue.hpp"

#include <iterator>
#include <utility>

namespace lochat {

OutboundQueue::OutboundQueue(std::size_t capacity_bytes, QueueBudget* budget)
    : capacity_(capacity_bytes), budget_(budget) {}

// Lines still held when the client goes give their charges back with them.
OutboundQueue::~OutboundQueue() {
  if (budget_ != nullptr) budget_->refund(charged_);
}

OutboundQueue::PushResult OutboundQueue::push_shared(std::span<const SharedLine> lines) {
  std::size_t size = 0;
  for (const auto& line : lines) size += line->size();
  std::lock_guard lock(mutex_);
  return push_locked(lines, kSharedLineSlotBytes, size);
}

OutboundQueue::PushResult OutboundQueue::push_own(SharedLine line) {
  const std::size_t size = line->size();
  std::lock_guard lock(mutex_);
  return push_locked(std::span(&line, 1), std::nullopt, size);
}

OutboundQueue::PushResult OutboundQueue::push_own_lines(std::span<const SharedLine> lines) {
  std::size_t size = 0;
  for (const auto& line : lines) size += line->size();
  std::lock_guard lock(mutex_);
  return push_locked(lines, std::nullopt, size);
}

// `slot_charge`: what each line costs its client, or nullopt for its whole size (plus a slot).
OutboundQueue::PushResult OutboundQueue::push_locked(std::span<const SharedLine> lines,
                                                     std::optional<std::size_t> slot_charge,
                                                     std::size_t bytes) {
  const std::size_t charge =
      slot_charge ? *slot_charge * lines.size() : bytes + kSharedLineSlotBytes * lines.size();
  if (overflow_ != Overflow::none) return PushResult::overflow;
  if (charged_ + charge > capacity_) {
    overflow_ = Overflow::own_limit;
    return PushResult::overflow;
  }
  for (const auto& line : lines) {
    lines_.push_back({line, slot_charge ? *slot_charge : line->size() + kSharedLineSlotBytes});
  }
  bytes_ += bytes;
  charged_ += charge;
  if (budget_ != nullptr) budget_->charge(charge);
  return PushResult::queued;
}

void OutboundQueue::take_all(std::vector<QueuedLine>& out) {
  std::lock_guard lock(mutex_);
  if (out.empty()) {
    out.swap(lines_);
    return;
  }
  out.insert(out.end(), std::make_move_iterator(lines_.begin()),
             std::make_move_iterator(lines_.end()));
  lines_.clear();
}

void OutboundQueue::release(std::size_t bytes, std::size_t charges) {
  std::lock_guard lock(mutex_);
  bytes_ -= bytes < bytes_ ? bytes : bytes_;
  const std::size_t refunded = charges < charged_ ? charges : charged_;
  charged_ -= refunded;
  if (budget_ != nullptr) budget_->refund(refunded);
}

void OutboundQueue::evict() {
  std::lock_guard lock(mutex_);
  if (overflow_ == Overflow::none) overflow_ = Overflow::evicted;
}

OutboundQueue::Overflow OutboundQueue::overflow() const {
  std::lock_guard lock(mutex_);
  return overflow_;
}

std::size_t OutboundQueue::bytes() const {
  std::lock_guard lock(mutex_);
  return bytes_;
}

std::size_t OutboundQueue::charged() const {
  std::lock_guard lock(mutex_);
  return charged_;
}

bool OutboundQueue::empty() const {
  std::lock_guard lock(mutex_);
  return lines_.empty();
}

}  // namespace lochat
