#pragma once

#include <chrono>
#include <cstddef>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "lochat/net/token_bucket.hpp"
#include "lochat/server/address_limits.hpp"

namespace lochat {

// Flood control for one client's lines: `rate` lines a second after a burst
// of `burst`, and within what its address may send in all its connections
// (AddressBudget, shared, with its own lock). Lines beyond that are delayed,
// not dropped, and let through as the rate allows; a client with more than
// `max_delayed_lines` (or kMaxDelayedBytes) waiting is flooding; past half of
// either it is told once to slow down (again after its waiting lines have
// all gone through), so a person at `nc` hears it before the cut. A rate of 0
// lets everything through. Time is passed in, so it is testable without a
// clock. Owned by one session's thread; not thread-safe itself.
class FloodGate {
 public:
  using Clock = std::chrono::steady_clock;
  enum class Verdict { pass, delayed, slow_down, flooding };

  // `address` may be null: no limit beyond this connection's own.
  FloodGate(double rate, std::size_t burst, std::size_t max_delayed_lines, Clock::time_point now,
            std::shared_ptr<AddressBudget> address = nullptr);

  // pass: handle `line` now. delayed: kept, to come out of next_due().
  // slow_down: kept; the client is halfway to flooding (said once per backlog).
  // flooding: kept too, but the client should be disconnected.
  Verdict offer(std::string_view line, Clock::time_point now);
  // The oldest delayed line, once its turn has come.
  std::optional<std::string> next_due(Clock::time_point now);
  // How long until the next delayed line is due; nullopt when none waits.
  [[nodiscard]] std::optional<std::chrono::milliseconds> wait_for_next(Clock::time_point now) const;
  [[nodiscard]] bool has_delayed() const { return !delayed_.empty(); }
  [[nodiscard]] std::size_t delayed() const { return delayed_.size(); }
  // Forgets every delayed line (the client is being disconnected).
  void clear();

 private:
  bool take_token(Clock::time_point now);

  const bool limited_;
  TokenBucket bucket_;
  std::shared_ptr<AddressBudget> address_;
  const std::size_t max_delayed_lines_;
  // A list, not a deque: a client that never floods allocates nothing for it.
  std::list<std::string> delayed_;
  std::size_t delayed_bytes_ = 0;
  bool warned_ = false;  // slow_down was said for the lines waiting now
};

inline constexpr std::size_t kMaxDelayedBytes = 64 * 1024;

}  // namespace lochat
