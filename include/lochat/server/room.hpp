#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lochat/server/history.hpp"
#include "lochat/server/name_owners.hpp"
#include "lochat/server/participant.hpp"
#include "lochat/server/pending_flushes.hpp"
#include "lochat/server/queue_budget.hpp"
#include "lochat/wire/protocol.hpp"
#include "lochat/wire/shared_line.hpp"

// The chat room of the server: members, fan-out, history and presence
// notices, shared by every session thread (see Room below for its locks).
namespace lochat {

struct RoomConfig {
  std::size_t history_lines = 20;  // public lines replayed to newcomers; 0 = none
  // Join, leave and disconnect notices go out only while at most this many are
  // online (0 = always): in a crowd they are noise, and their cost grows with
  // the square of the crowd (Twitch's chat draws the same line at 1,000).
  std::size_t presence_limit = 200;
  // What all clients' queues may hold, server-wide (QueueBudget); 0 = no bound.
  std::size_t sendq_total = 256 * 1024 * 1024;
};

// The one chat room: who is online under which name, fan-out to them, the
// history for newcomers, whether presence notices go out, and the memory the
// fan-out holds: past the budget, the member furthest behind is dropped.
//
// Threads: every session thread calls it at once. The member list is an
// immutable vector replaced on every join, leave and rename, so a broadcast
// copies one pointer under mutex_ and delivers outside it: no delivery or
// socket I/O ever runs under the lock. Names are unique after folding
// (text::fold_name); rename() checks and changes under one lock, so of two
// clients racing for one name exactly one gets it. Ownership (NameOwners) is
// checked and claimed under the same lock (mutex_, then the store's), so no
// client slips past an owner's claim; the store's file is written after mutex_
// is let go. The history has its own lock.
class Room {
 public:
  // `owners`: names owned by keys (outlives the room); null: none are.
  explicit Room(RoomConfig config, NameOwners* owners = nullptr);

  // `name` is a stand-in (the address) that no valid nickname can equal;
  // `key`: the fingerprint of the client's key, "" for none.
  void join(std::shared_ptr<Participant> participant, std::string name, std::string key = {});
  void leave(const Participant* participant);
  enum class Renamed {
    taken,       // another member has a name that folds like it
    owned,       // another key owns it (or a key does, and the client has none)
    unverified,  // done; no key owns it (the client has none)
    verified,    // done; the client's key owned it already
    claimed,     // done; the client's key owns it from now on
  };
  Renamed rename(const Participant* participant, const std::string& name);
  [[nodiscard]] NameOwners* owners() const { return owners_; }

  // A batch of public lines: recorded for newcomers, delivered to every member
  // but `from`. Recipients that held them back go into `owed`.
  void publish(const SharedLine& batch, const Participant* from, PendingFlushes& owed);
  // A line for every member but `from`, not recorded (a rename notice).
  void broadcast(const SharedLine& line, const Participant* from, PendingFlushes& owed) const;
  // A join or leave notice: like broadcast(), unless more than the presence
  // limit are online.
  void announce_presence(const SharedLine& notice, const Participant* from,
                         PendingFlushes& owed) const;

  // The member called `name` (compared folded), or nullptr.
  [[nodiscard]] std::shared_ptr<Participant> find(std::string_view name) const;
  // Every member (an operator's ban removes those it matches).
  [[nodiscard]] std::vector<std::shared_ptr<Participant>> participants() const;
  // Who is online, in the order they joined, for how long, and whether their
  // key owns their name (verified): the first
  // kMaxListed only (a line lists no more), so a newcomer to a crowd costs
  // no copy of the whole crowd.
  [[nodiscard]] protocol::OnlineList online() const;
  // The replay for a newcomer: the newest public lines that fit in `max_bytes`.
  [[nodiscard]] std::vector<SharedLine> recent_history(
      std::size_t max_bytes = std::numeric_limits<std::size_t>::max()) const {
    return history_.recent(max_bytes);
  }
  [[nodiscard]] std::size_t size() const;

  // A line for many queues, its bytes counted once in the budget.
  [[nodiscard]] SharedLine share(std::string text) const { return budget_.share(std::move(text)); }
  [[nodiscard]] QueueBudget& budget() { return budget_; }
  // Past the budget, drops the member furthest behind (at most one per pause).
  // Cheap when under it: two atomic loads. Any thread.
  void enforce_budget() const;

 private:
  struct Member {
    std::shared_ptr<Participant> participant;
    std::string name;
    std::string folded_name;
    std::string key;  // the client's key's fingerprint, "" for none
    std::chrono::steady_clock::time_point joined;
  };
  using Members = std::vector<Member>;
  [[nodiscard]] std::shared_ptr<const Members> snapshot() const;
  void evict_if_over_budget(const Members& members) const;

  [[nodiscard]] bool verified(const Member& member) const;
  // Under mutex_ or not: whether a key other than `key` owns the name folded as `folded_name`.
  [[nodiscard]] bool owned_by_another(std::string_view folded_name, std::string_view key) const;

  const RoomConfig config_;
  NameOwners* const owners_;  // thread-safe itself; may be null
  History history_;
  mutable QueueBudget budget_;              // atomic throughout
  mutable std::mutex mutex_;                // guards members_ (the pointer only)
  std::shared_ptr<const Members> members_;  // never modified once published
};

}  // namespace lochat
