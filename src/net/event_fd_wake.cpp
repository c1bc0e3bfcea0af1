#include "lochat/net/event_fd_wake.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

namespace lochat {

EventFdWake::EventFdWake() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (!fd_.valid())
    throw NetError(std::string("cannot create an eventfd: ") + std::strerror(errno));
}

void EventFdWake::notify() const {
  const std::uint64_t one = 1;
  // A full counter still wakes the reader, so a failed write loses nothing.
  [[maybe_unused]] const auto written = ::write(fd_.get(), &one, sizeof one);
}

void EventFdWake::drain() const {
  std::uint64_t count = 0;
  [[maybe_unused]] const auto read_bytes = ::read(fd_.get(), &count, sizeof count);
}

}  // namespace lochat
