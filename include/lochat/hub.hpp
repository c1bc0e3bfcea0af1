#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace lochat {

// One formatted wire line (with its "\n"), built once and shared by every recipient.
using SharedLine = std::shared_ptr<const std::string>;
SharedLine make_shared_line(std::string text);

// Anyone the hub can hand a line to. deliver() is called from other clients'
// threads, so it must be thread-safe and must never block on the network.
class Participant {
 public:
  virtual ~Participant() = default;
  virtual void deliver(const SharedLine& line) = 0;
};

// Who is online, and fan-out to them. The member list is an immutable vector
// replaced on every join and leave, so a broadcast copies one pointer under the
// lock and delivers outside it: no socket I/O or delivery ever runs under mutex_.
class Hub {
 public:
  Hub();

  void join(std::shared_ptr<Participant> participant);
  void leave(const Participant* participant);

  // Delivers to every member except `except` (nullptr: to all).
  void broadcast(const SharedLine& line, const Participant* except) const;

  [[nodiscard]] std::size_t size() const;

 private:
  using Members = std::vector<std::shared_ptr<Participant>>;
  [[nodiscard]] std::shared_ptr<const Members> snapshot() const;

  mutable std::mutex mutex_;              // guards members_ (the pointer only)
  std::shared_ptr<const Members> members_;  // never modified once published
};

}  // namespace lochat
