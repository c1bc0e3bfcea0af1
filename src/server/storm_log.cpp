#include "lochat/server/storm_log.hpp"

#include <utility>

namespace lochat {

std::size_t StormLog::note() {
  const auto now = std::chrono::steady_clock::now();
  const std::lock_guard lock(mutex_);
  ++not_logged_;
  if (now < next_) return 0;
  next_ = now + kStormLogEvery;
  return std::exchange(not_logged_, 0);
}

}  // namespace lochat
