#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lochat {

// One formatted wire line (with its "\n"), built once and shared by every recipient.
using SharedLine = std::shared_ptr<const std::string>;
SharedLine make_shared_line(std::string text);

// Anyone the hub can hand lines to. deliver() is called from other clients'
// threads, so it must be thread-safe and must never block on the network.
class Participant {
 public:
  virtual ~Participant() = default;
  // `lines` arrive in order, all or none (none if they overflow the recipient).
  // `from` is the participant who sent them (nullptr: the server itself).
  virtual void deliver(std::span<const SharedLine> lines, const Participant* from) = 0;
};

// Who is online under which name, and fan-out to them.
//
// The member list is an immutable vector replaced on every join, leave and
// rename, so a broadcast copies one pointer under mutex_ and delivers outside
// it: no delivery or socket I/O ever runs under the lock. Names are unique
// after folding (text::fold_name); rename() checks and changes under one lock,
// so of two clients racing for one name exactly one gets it.
class Hub {
 public:
  struct MemberInfo {
    std::string name;
    std::chrono::steady_clock::time_point joined;
  };

  Hub();

  // `name` is a stand-in (the address) that no valid nickname can equal.
  void join(std::shared_ptr<Participant> participant, std::string name);
  void leave(const Participant* participant);
  // False if another member already has a name that folds like `name`.
  bool rename(const Participant* participant, const std::string& name);

  // Delivers to every member except `except` (nullptr: to all).
  void broadcast(std::span<const SharedLine> lines, const Participant* except) const;
  void broadcast(const SharedLine& line, const Participant* except) const;
  // The member called `name` (compared folded), or nullptr.
  [[nodiscard]] std::shared_ptr<Participant> find(std::string_view name) const;
  // Members in the order they joined.
  [[nodiscard]] std::vector<MemberInfo> members() const;
  [[nodiscard]] std::size_t size() const;

 private:
  struct Member {
    std::shared_ptr<Participant> participant;
    std::string name;
    std::string folded_name;
    std::chrono::steady_clock::time_point joined;
  };
  using Members = std::vector<Member>;
  [[nodiscard]] std::shared_ptr<const Members> snapshot() const;

  mutable std::mutex mutex_;                // guards members_ (the pointer only)
  std::shared_ptr<const Members> members_;  // never modified once published
};

}  // namespace lochat
