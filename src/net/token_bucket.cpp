#include "lochat/net/token_bucket.hpp"

#include <algorithm>
#include <cmath>

namespace lochat {

TokenBucket::TokenBucket(double rate_per_second, double burst, Clock::time_point now)
    : rate_(rate_per_second), burst_(std::max(burst, 1.0)), tokens_(burst_), updated_(now) {}

double TokenBucket::tokens_at(Clock::time_point now) const {
  const std::chrono::duration<double> elapsed = now - updated_;
  return std::min(burst_, tokens_ + std::max(elapsed.count(), 0.0) * rate_);
}

bool TokenBucket::try_take(Clock::time_point now) {
  if (rate_ <= 0) return true;  // rate 0 turns flood control off
  tokens_ = tokens_at(now);
  updated_ = std::max(updated_, now);
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

std::chrono::milliseconds TokenBucket::wait_for_token(Clock::time_point now) const {
  if (rate_ <= 0) return std::chrono::milliseconds(0);
  const double missing = 1.0 - tokens_at(now);
  if (missing <= 0) return std::chrono::milliseconds(0);
  // Bounded, so a tiny rate cannot overflow the conversion: a day is "not soon".
  constexpr double kLongestWaitMs = 24.0 * 3600 * 1000;
  return std::chrono::milliseconds(
      static_cast<long>(std::ceil(std::min(missing / rate_ * 1000.0, kLongestWaitMs))));
}

bool TokenBucket::full(Clock::time_point now) const {
  return rate_ <= 0 || tokens_at(now) >= burst_;
}

}  // namespace lochat
