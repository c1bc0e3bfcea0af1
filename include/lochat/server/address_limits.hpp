#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "lochat/net/token_bucket.hpp"

// What one source address may do in all its connections together, kept
// across reconnects: closing a connection and opening another resets nothing.
//
// Threads: the accept thread calls AddressLimits::budget_for(); every session
// thread of that address shares its AddressBudget. AddressLimits::mutex_
// guards the map; each AddressBudget's mutex_ guards its buckets. No lock is
// taken while the other is held.
namespace lochat {

// How many connections' worth of flood allowance one address has in all: a
// few people on one machine (or behind one NAT) still talk at the full rate.
inline constexpr double kConnectionsPerAddress = 4;
// Join notices one address may cause: a burst of this many, then one every
// kPresenceInterval. Past that, its joins (and the leaves that go with them)
// are not announced: a reconnect loop cannot fill everyone's screen.
inline constexpr double kPresenceBurst = 4;
inline constexpr std::chrono::seconds kPresenceInterval{10};
// New connections one address may open while the server is nearly full: a
// burst of this many, then one every kConnectInterval. A person reconnecting
// never notices; a loop of connections cannot churn through the last places.
inline constexpr double kConnectBurst = 4;
inline constexpr std::chrono::seconds kConnectInterval{1};
// Wrong passwords (server/password_gate.hpp): this many from one address, in
// any of its connections, and it is refused for kPasswordRefusal. A person who
// mistypes a few times is barely slowed; a guesser gets some five tries a
// minute. Failures older than kWrongPasswordMemory are forgotten.
inline constexpr std::size_t kWrongPasswordsAllowed = 5;
inline constexpr std::chrono::seconds kPasswordRefusal{60};
inline constexpr std::chrono::minutes kWrongPasswordMemory{10};

class AddressBudget {
 public:
  using Clock = std::chrono::steady_clock;

  // `line_rate` lines a second after `line_burst` at once (0 = no limit).
  AddressBudget(double line_rate, double line_burst, Clock::time_point now);

  // Takes one line's token if one is free now.
  bool try_take_line(Clock::time_point now);
  // How long until a line's token is free (zero if one is now).
  [[nodiscard]] std::chrono::milliseconds wait_for_line(Clock::time_point now) const;
  // Takes one join notice's token; false: this join is not announced.
  bool try_take_presence(Clock::time_point now);
  // Takes one new connection's token; false: it comes faster than kConnectInterval.
  bool try_take_connection(Clock::time_point now);
  // Counts a wrong password; true if it is the one that starts a refusal.
  bool note_wrong_password(Clock::time_point now);
  // How long the address is still refused for wrong passwords (0: it is not).
  [[nodiscard]] std::chrono::seconds refused_for(Clock::time_point now) const;
  // True when all buckets are full again and no wrong password is remembered:
  // this budget may be forgotten.
  [[nodiscard]] bool rested(Clock::time_point now) const;

 private:
  mutable std::mutex mutex_;  // guards the buckets and the wrong passwords
  TokenBucket lines_;
  TokenBucket presence_;
  TokenBucket connections_;
  std::size_t wrong_passwords_ = 0;  // since the last refusal, within kWrongPasswordMemory
  Clock::time_point last_wrong_password_{};
  Clock::time_point refused_until_{};
};

class AddressLimits {
 public:
  // The per-connection flood control: `rate` lines a second after `burst`.
  AddressLimits(double rate, std::size_t burst);

  // The budget of `address`, made on its first connection and kept while any
  // connection holds it or it has not rested.
  std::shared_ptr<AddressBudget> budget_for(const std::string& address);
  [[nodiscard]] std::size_t tracked() const;

 private:
  void forget_rested(AddressBudget::Clock::time_point now);

  const double line_rate_;
  const double line_burst_;
  mutable std::mutex mutex_;  // guards budgets_
  std::map<std::string, std::shared_ptr<AddressBudget>> budgets_;
  std::size_t sweep_at_ = 64;  // budgets_'s size at which rested budgets are next looked for
};

}  // namespace lochat
