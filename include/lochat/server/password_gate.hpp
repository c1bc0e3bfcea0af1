#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "lochat/server/address_limits.hpp"

// What stands between a newcomer and the room on a server with a password
// (docs/SECURITY.md): every line the client sends before the right
// `/pass PASSWORD` comes here, not to the room, the commands or the log.
//
// Threads: one session's thread alone. The AddressBudget it shares with the
// address's other connections has its own mutex; password::verify() its own.
namespace lochat {

class PasswordGate {
 public:
  using Clock = std::chrono::steady_clock;

  // `hash` empty: no password, the gate is open from the start. `encrypted`:
  // the client came in over TLS (a password is accepted only then); `tls_port`
  // is where to send it otherwise (for a `browser`, the web port, over https).
  // `address` is null only in tests of the room.
  PasswordGate(std::string hash, bool encrypted, std::uint16_t tls_port,
               std::shared_ptr<AddressBudget> address, std::string peer_address,
               bool browser = false);

  [[nodiscard]] bool open() const { return hash_.empty() || admitted_; }
  // The TLS port the greeting tells the client to send its password on; 0 if
  // the gate is open.
  [[nodiscard]] std::uint16_t password_port() const { return open() ? 0 : tls_port_; }

  struct Answer {
    enum class Kind {
      quiet,     // nothing to do (`reply` may hold a reminder)
      admitted,  // the right password: the client joins the room now
      wrong,     // a wrong one: the session waits kWrongPasswordDelay
      refused,   // the address is refused for now: the session closes
    };
    Kind kind = Kind::quiet;
    std::string reply;  // the line to send back, or "" for none
  };
  // One line of the client's, as read (before cleaning), while the gate is closed.
  Answer take(std::string_view raw_line, Clock::time_point now);

 private:
  Answer try_password(std::string_view password, Clock::time_point now);
  [[nodiscard]] Answer refusal(std::chrono::seconds left) const;

  const std::string hash_;
  const bool encrypted_;
  const std::uint16_t tls_port_;
  const std::shared_ptr<AddressBudget> address_;
  const std::string peer_address_;
  const bool browser_;
  bool admitted_ = false;
  Clock::time_point next_reminder_{};  // lines other than /pass are answered once per interval
};

// How long the session waits after a wrong password before it reads on: each
// guess costs the guesser this much per connection (and per-address refusals
// bound the guesses of all its connections together).
inline constexpr std::chrono::seconds kWrongPasswordDelay{1};

}  // namespace lochat
