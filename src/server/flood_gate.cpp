#include "lochat/server/flood_gate.hpp"

#include <algorithm>
#include <utility>

namespace lochat {

FloodGate::FloodGate(double rate, std::size_t burst, std::size_t max_delayed_lines,
                     Clock::time_point now, std::shared_ptr<AddressBudget> address)
    : limited_(rate > 0),
      bucket_(rate, static_cast<double>(burst), now),
      address_(std::move(address)),
      max_delayed_lines_(max_delayed_lines) {}

// A token from this connection's bucket and one from its address's, or neither.
bool FloodGate::take_token(Clock::time_point now) {
  if (!limited_) return true;  // --rate 0: no flood control, and no shared lock per line
  if (bucket_.wait_for_token(now).count() > 0) return false;
  if (address_ && !address_->try_take_line(now)) return false;
  return bucket_.try_take(now);
}

FloodGate::Verdict FloodGate::offer(std::string_view line, Clock::time_point now) {
  if (delayed_.empty() && take_token(now)) return Verdict::pass;
  delayed_.emplace_back(line);
  delayed_bytes_ += line.size();
  if (delayed_.size() > max_delayed_lines_ || delayed_bytes_ > kMaxDelayedBytes) {
    return Verdict::flooding;
  }
  const bool halfway =
      delayed_.size() > max_delayed_lines_ / 2 || delayed_bytes_ > kMaxDelayedBytes / 2;
  if (!halfway || warned_) return Verdict::delayed;
  warned_ = true;
  return Verdict::slow_down;
}

std::optional<std::string> FloodGate::next_due(Clock::time_point now) {
  if (delayed_.empty() || !take_token(now)) return std::nullopt;
  std::string line = std::move(delayed_.front());
  delayed_.pop_front();
  delayed_bytes_ -= line.size();
  warned_ = warned_ && !delayed_.empty();
  return line;
}

std::optional<std::chrono::milliseconds> FloodGate::wait_for_next(Clock::time_point now) const {
  if (delayed_.empty()) return std::nullopt;
  // At least 1 ms: a wait of zero would spin until the token's arithmetic catches up.
  auto wait = bucket_.wait_for_token(now);
  if (address_) wait = std::max(wait, address_->wait_for_line(now));
  return std::max(wait, std::chrono::milliseconds(1));
}

void FloodGate::clear() {
  delayed_.clear();
  delayed_bytes_ = 0;
}

}  // namespace lochat
