#pragma once

#include <cstddef>
#include <span>
#include <string>

#include "lochat/wire/shared_line.hpp"

namespace lochat {

// Anyone the room can hand lines to: in the server, each client's Connection.
// deliver() and flush_held() are called from other clients' threads, so an
// implementation must be thread-safe and must never block on the network.
class Participant {
 public:
  enum class Delivery { done, held_back };
  // Who else the lines go to: many (a broadcast: the recipient is charged a
  // slot per line, the bytes count once server-wide) or this one alone (a
  // private message: charged in full, as its own replies are).
  enum class Audience { many, one };
  virtual ~Participant() = default;
  // `lines` arrive in order, all or none (none if they overflow the recipient).
  // `from` is the participant who sent them. held_back: queued to share a
  // later write with others' lines; the sender then owes this participant a
  // flush_held() call (PendingFlushes, paid by the FlushScheduler) once its
  // coalescing window has passed.
  virtual Delivery deliver(std::span<const SharedLine> lines, const Participant* from,
                           Audience audience) = 0;
  // Writes what deliver() held back, if nothing else has written it yet.
  virtual void flush_held() = 0;
  // Bytes waiting to be written to this participant: how far behind it is.
  [[nodiscard]] virtual std::size_t backlog_bytes() const = 0;
  // The server drops this participant to bound its memory (see QueueBudget).
  virtual void evict() = 0;

  // Who is behind it, for bans and mutes (moderation.hpp): its address and
  // the fingerprint of the key it presented ("" for none).
  struct Identity {
    std::string address;
    std::string key;
  };
  [[nodiscard]] virtual Identity identity() const { return {}; }
  // An operator removes it: its own thread tells it `reason` and closes it.
  virtual void kick(std::string /*reason*/) {}
};

}  // namespace lochat
