#include "lochat/server/queue_budget.hpp"

#include <utility>

namespace lochat {

namespace {

// The text of a shared line, which gives its bytes back to the budget when
// the last queue lets go of it.
struct CountedText {
  CountedText(std::string line, std::shared_ptr<std::atomic<std::size_t>> counter)
      : text(std::move(line)), bytes(std::move(counter)) {
    bytes->fetch_add(text.size(), std::memory_order_relaxed);
  }
  ~CountedText() { bytes->fetch_sub(text.size(), std::memory_order_relaxed); }
  CountedText(const CountedText&) = delete;
  CountedText& operator=(const CountedText&) = delete;

  const std::string text;
  const std::shared_ptr<std::atomic<std::size_t>> bytes;
};

}  // namespace

QueueBudget::QueueBudget(std::size_t limit_bytes)
    : limit_(limit_bytes), shared_bytes_(std::make_shared<std::atomic<std::size_t>>(0)) {}

SharedLine QueueBudget::share(std::string text) const {
  auto counted = std::make_shared<const CountedText>(std::move(text), shared_bytes_);
  // One allocation; the SharedLine points at the text and owns the whole.
  return SharedLine(counted, &counted->text);
}

std::size_t QueueBudget::held() const {
  return shared_bytes_->load(std::memory_order_relaxed) +
         own_bytes_.load(std::memory_order_relaxed);
}

bool QueueBudget::take_eviction_turn(Clock::time_point now) {
  auto next = next_eviction_.load(std::memory_order_relaxed);
  const auto now_ticks = now.time_since_epoch().count();
  if (now_ticks < next) return false;
  const auto after = (now + kEvictionPause).time_since_epoch().count();
  return next_eviction_.compare_exchange_strong(next, after, std::memory_order_relaxed);
}

}  // namespace lochat
