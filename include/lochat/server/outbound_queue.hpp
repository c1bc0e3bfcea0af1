#pragma once

#include <cstddef>
#include <mutex>
#include <span>
#include <vector>

#include "lochat/wire/shared_line.hpp"

namespace lochat {

// One client's bounded queue of lines waiting to be written to its socket.
// Producers are every other client's thread (push_all); the consumer is
// whichever thread holds the session's write lock (take_all, then release
// once bytes hit the socket).
// Bytes count until they are released, so a stalled reader holds at most
// `capacity` bytes however many lines arrive; past that the queue overflows
// for good and the session disconnects that client.
class OutboundQueue {
 public:
  enum class PushResult { queued, queued_was_idle, overflow };

  explicit OutboundQueue(std::size_t capacity_bytes);

  // Queues all of `lines` in order, or (if they do not all fit) none of them.
  // `queued_was_idle`: the queue was empty before them.
  PushResult push_all(std::span<const SharedLine> lines);
  // Moves every queued line to the end of `out`, oldest first.
  void take_all(std::vector<SharedLine>& out);
  // The consumer has written `bytes` of taken lines to the socket.
  void release(std::size_t bytes);

  [[nodiscard]] bool overflowed() const;
  [[nodiscard]] std::size_t bytes() const;
  [[nodiscard]] bool empty() const;

 private:
  mutable std::mutex mutex_;  // guards all members below
  // A vector, not a deque: an idle client's empty queue allocates nothing,
  // and take_all() hands the whole batch over by swapping buffers.
  std::vector<SharedLine> lines_;
  std::size_t bytes_ = 0;  // queued plus taken-but-unreleased bytes
  std::size_t capacity_;
  bool overflowed_ = false;
};

}  // namespace lochat
