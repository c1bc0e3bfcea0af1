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

// Anyone the hub can hand lines to. deliver() and flush_held() are called
// from other clients' threads, so they must be thread-safe and must never
// block on the network.
class Participant {
 public:
  enum class Delivery { done, held_back };
  virtual ~Participant() = default;
  // `lines` arrive in order, all or none (none if they overflow the recipient).
  // `from` is the participant who sent them. held_back: queued to share a
  // later write with others' lines; the sender then owes this participant a
  // flush_held() call when the coalescing window (kCoalesceWindow) has passed.
  virtual Delivery deliver(std::span<const SharedLine> lines, const Participant* from) = 0;
  // Writes what deliver() held back, if nothing else has written it yet.
  virtual void flush_held() = 0;
};

// How long a participant may hold back lines to coalesce them into one write.
inline constexpr std::chrono::microseconds kCoalesceWindow{2000};

// Participants that held back lines a sender gave them (see Participant).
using HeldBack = std::vector<std::shared_ptr<Participant>>;

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

  // Delivers to every member but `from`, adding those that held the lines
  // back to `held_back`.
  void broadcast(std::span<const SharedLine> lines, const Participant* from,
                 HeldBack& held_back) const;
  void broadcast(const SharedLine& line, const Participant* from, HeldBack& held_back) const;
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
