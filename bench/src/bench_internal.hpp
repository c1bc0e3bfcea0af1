#pragma once

// What the lochat-bench sources (bench.cpp, bench_check.cpp, bench_report.cpp)
// share and the public header need not show.
#include <chrono>

namespace lochat::bench {

using Clock = std::chrono::steady_clock;

inline double seconds(std::chrono::nanoseconds duration) {
  return std::chrono::duration<double>(duration).count();
}

}  // namespace lochat::bench
