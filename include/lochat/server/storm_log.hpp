#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>

// Events that come in storms (refusals, places made, failed TLS handshakes)
// logged at most once per kStormLogEvery, with how many there were: a storm
// of newcomers must not become a storm of log lines.
//
// Threads: note() may be called from any thread; mutex_ guards the count
// and the time of the next line. The caller logs when note() says so.
namespace lochat {

inline constexpr std::chrono::seconds kStormLogEvery{10};

class StormLog {
 public:
  // Counts one; returns how many to log now (this one included), or 0 if it is not time yet.
  std::size_t note();

 private:
  std::mutex mutex_;  // guards the two below
  std::size_t not_logged_ = 0;
  std::chrono::steady_clock::time_point next_{};
};

}  // namespace lochat
