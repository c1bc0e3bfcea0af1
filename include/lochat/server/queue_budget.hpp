#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "lochat/wire/shared_line.hpp"

// What all the clients' outbound queues hold, server-wide, against one bound
// (--sendq-total). Every session thread uses it at once; all of it is atomic.
namespace lochat {

// A line shared by many queues costs its bytes once, however many clients
// wait for it: share() makes such a line and counts its bytes for as long as
// any queue (or the history) holds it. What a queue holds for its client
// alone (its own replies, and a slot per shared line) is charged by that
// queue. Past the bound, the client furthest behind is dropped (Room), as
// Redis' maxmemory-clients drops the clients that use the most.
class QueueBudget {
 public:
  using Clock = std::chrono::steady_clock;

  // 0 = no server-wide bound (each client's --sendq still holds).
  explicit QueueBudget(std::size_t limit_bytes);

  [[nodiscard]] SharedLine share(std::string text) const;
  void charge(std::size_t bytes) { own_bytes_.fetch_add(bytes, std::memory_order_relaxed); }
  void refund(std::size_t bytes) { own_bytes_.fetch_sub(bytes, std::memory_order_relaxed); }

  // Shared bytes (once each) plus every queue's own charges.
  [[nodiscard]] std::size_t held() const;
  [[nodiscard]] bool over_limit() const { return limit_ != 0 && held() > limit_; }
  // While over the limit, true for one caller per kEvictionPause: that caller
  // drops one client, and the others give its queue time to be freed.
  bool take_eviction_turn(Clock::time_point now);

 private:
  // Long enough for a dropped client's thread to free its queue, short enough
  // that a flood of stalled clients is cut down at ten a second.
  static constexpr std::chrono::milliseconds kEvictionPause{100};

  const std::size_t limit_;
  // Outlives every line share() made, so a line may outlive the budget.
  std::shared_ptr<std::atomic<std::size_t>> shared_bytes_;
  std::atomic<std::size_t> own_bytes_{0};
  std::atomic<Clock::rep> next_eviction_{0};
};

}  // namespace lochat
