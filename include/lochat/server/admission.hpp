#pragma once

#include <chrono>
#include <cstddef>
#include <string>

// Who gets a place when places run short: the server's rules for newcomers,
// as one pure function of counts, so each rule is tested without sockets
// (refusals are logged through storm_log.hpp).
// The accept thread calls it under Server::sessions_mutex_ (which guards the
// counts it is given); it keeps no state.
namespace lochat::admission {

// Connections one address may hold and still come in when places are short:
// a few people on one machine, or behind one NAT.
inline constexpr std::size_t kFewPerAddress = 4;
// Places kept for addresses that hold fewer than kFewPerAddress: enough for a
// handful of machines to come in while one machine holds all the rest, few
// enough that a load run of 1,000 connections from one machine still fits
// under the default --max-clients of 1,024. A quarter of --max-clients when
// that is fewer.
inline constexpr std::size_t kReservedPlaces = 16;

// Sessions asked to make room take a moment to leave (up to --linger while
// they flush): newcomers let in meanwhile may take the server this far past
// --max-clients, and no further, however many machines come at once.
inline constexpr std::size_t kPastMaxWhileMakingRoom = 8;

struct Places {
  std::size_t taken = 0;  // sessions running, including those asked to make room
  std::size_t max = 0;    // --max-clients
  [[nodiscard]] std::size_t reserved() const;
  [[nodiscard]] bool crowded() const;  // only the reserved places are left
  [[nodiscard]] bool full() const { return taken >= max; }
};

struct Newcomer {
  std::size_t held = 0;            // connections its address holds now
  std::size_t max_per_ip = 0;      // --max-per-ip; 0 = no fixed cap
  bool connect_token_free = true;  // its address's connection rate allows one now
};

enum class Verdict {
  serve,
  make_room,        // full: serve it if a silent connection of a busier address can go
  refuse_full,      // full, and it holds its share already
  refuse_capped,    // its address is at --max-per-ip
  refuse_reserved,  // crowded, and its address holds kFewPerAddress or more
  refuse_rate,      // crowded or full, and its address opens connections too fast
};

[[nodiscard]] Verdict admit(const Places& places, const Newcomer& newcomer);

// The one line a refused newcomer reads (without the "Error: " of protocol::error).
[[nodiscard]] std::string refusal(Verdict verdict, const Places& places, const std::string& address,
                                  std::size_t max_per_ip);

}  // namespace lochat::admission
