#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include "front_end.hpp"

namespace lochat::front_end {

Mailbox::Mailbox() {
  std::array<int, 2> ends{};
  if (::pipe2(ends.data(), O_CLOEXEC | O_NONBLOCK) != 0) throw NetError("cannot create a pipe");
  read_end_ = FileDescriptor(ends[0]);
  write_end_ = FileDescriptor(ends[1]);
}

std::pair<bool, bool> wait_for_activity(bool watch_input, int mailbox_fd, int timeout_ms) {
  std::array<pollfd, 2> watched{
      {{watch_input ? STDIN_FILENO : -1, POLLIN, 0}, {mailbox_fd, POLLIN, 0}}};
  if (::poll(watched.data(), watched.size(), timeout_ms) < 0) return {false, false};
  return {watched[0].revents != 0, watched[1].revents != 0};
}

}  // namespace lochat::front_end
