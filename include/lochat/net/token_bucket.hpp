#pragma once

#include <chrono>

namespace lochat {

// Flood control: `rate` tokens a second, up to `burst` saved up. One line costs
// one token. Time is passed in, so the arithmetic is testable without a clock.
// Not thread-safe: each session owns its bucket.
class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;

  TokenBucket(double rate_per_second, double burst, Clock::time_point now);

  bool try_take(Clock::time_point now);
  // How long until a token is available (zero if one is now).
  [[nodiscard]] std::chrono::milliseconds wait_for_token(Clock::time_point now) const;
  // Tokens that could be taken now (a whole burst when the rate is 0: no limit).
  [[nodiscard]] double available(Clock::time_point now) const {
    return rate_ <= 0 ? burst_ : tokens_at(now);
  }
  // True when the bucket has filled up again: forgetting it would change nothing.
  [[nodiscard]] bool full(Clock::time_point now) const;

 private:
  [[nodiscard]] double tokens_at(Clock::time_point now) const;

  double rate_;
  double burst_;
  double tokens_;
  Clock::time_point updated_;
};

}  // namespace lochat
