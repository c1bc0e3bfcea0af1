#pragma once

#include <cstddef>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

#include "lochat/server/queue_budget.hpp"
#include "lochat/wire/shared_line.hpp"

namespace lochat {

// A line waiting in one client's queue, and what it costs that client alone:
// its whole size for a line only this client gets (a reply), one slot for a
// line many share (a relay, whose bytes the QueueBudget counts once).
struct QueuedLine {
  SharedLine line;
  std::size_t charge = 0;
};

// What holding one more shared line costs a client: its slot in the queue
// (and the vector's spare capacity, up to as much again).
inline constexpr std::size_t kSharedLineSlotBytes = 2 * sizeof(QueuedLine);

// One client's bounded queue of lines waiting to be written to its socket.
// Producers are every other client's thread (push_shared, push_own); the
// consumer is whichever thread holds the connection's write lock (take_all,
// then release once lines are written).
//
// The limit is on what the queue holds for its client alone (charges), which
// count until the line is written: a client that never reads its own replies
// overflows it; so does one so far behind that its slots alone pass it. Past
// it the queue overflows for good and the session disconnects that client.
// Every charge is also the server-wide budget's (if any).
class OutboundQueue {
 public:
  enum class PushResult { queued, overflow };
  enum class Overflow { none, own_limit, evicted };

  OutboundQueue(std::size_t capacity_bytes, QueueBudget* budget);
  ~OutboundQueue();
  OutboundQueue(const OutboundQueue&) = delete;
  OutboundQueue& operator=(const OutboundQueue&) = delete;

  // Queues all of `lines` in order, or (if their slots do not fit) none of them.
  PushResult push_shared(std::span<const SharedLine> lines);
  // A line for this client alone, charged in full.
  PushResult push_own(SharedLine line);
  // Lines for this client alone (a private message), charged in full, all or none.
  PushResult push_own_lines(std::span<const SharedLine> lines);
  // Moves every queued line to the end of `out`, oldest first.
  void take_all(std::vector<QueuedLine>& out);
  // The consumer has written `bytes` of taken lines, whose charges add up to
  // `charges` (lines written in full only).
  void release(std::size_t bytes, std::size_t charges);
  // The server drops this client to bound its memory: as an overflow.
  void evict();

  [[nodiscard]] Overflow overflow() const;
  [[nodiscard]] bool overflowed() const { return overflow() != Overflow::none; }
  // Bytes not yet written, shared lines included: how far behind the client is.
  [[nodiscard]] std::size_t bytes() const;
  // What the queue holds for its client alone (the limit's measure).
  [[nodiscard]] std::size_t charged() const;
  [[nodiscard]] bool empty() const;

 private:
  PushResult push_locked(std::span<const SharedLine> lines, std::optional<std::size_t> slot_charge,
                         std::size_t bytes);

  mutable std::mutex mutex_;  // guards all members below
  // A vector, not a deque: an idle client's empty queue allocates nothing,
  // and take_all() hands the whole batch over by swapping buffers.
  std::vector<QueuedLine> lines_;
  std::size_t bytes_ = 0;    // queued plus taken-but-unwritten bytes
  std::size_t charged_ = 0;  // charges of lines queued or taken, not yet written
  std::size_t capacity_;
  QueueBudget* budget_;  // may be null (no server-wide bound); outlives the queue
  Overflow overflow_ = Overflow::none;
};

}  // namespace lochat
