#include "lochat/server/admission.hpp"

#include <algorithm>
#include <utility>

namespace lochat::admission {

std::size_t Places::reserved() const {
  return std::min(kReservedPlaces, max / 4);
}

bool Places::crowded() const {
  return reserved() > 0 && max - std::min(taken, max) <= reserved();
}

Verdict admit(const Places& places, const Newcomer& newcomer) {
  if (newcomer.max_per_ip > 0 && newcomer.held >= newcomer.max_per_ip) {
    return Verdict::refuse_capped;
  }
  if (!places.crowded() && !places.full()) return Verdict::serve;
  if (newcomer.held >= kFewPerAddress) {
    return places.full() ? Verdict::refuse_full : Verdict::refuse_reserved;
  }
  if (!newcomer.connect_token_free) return Verdict::refuse_rate;
  if (!places.full()) return Verdict::serve;
  return places.taken < places.max + kPastMaxWhileMakingRoom ? Verdict::make_room
                                                             : Verdict::refuse_full;
}

std::string refusal(Verdict verdict, const Places& places, const std::string& address,
                    std::size_t max_per_ip) {
  switch (verdict) {
    case Verdict::refuse_capped:
      return "too many connections from " + address + " (limit " + std::to_string(max_per_ip) + ")";
    case Verdict::refuse_reserved:
      return "server nearly full: its last " + std::to_string(places.reserved()) +
             " places are kept for other machines, and " + address + " has " +
             std::to_string(kFewPerAddress) + " or more connections";
    case Verdict::refuse_rate:
      return std::string(places.full() ? "server full: " : "server nearly full: ") + address +
             " opens connections too fast, try again in a second";
    case Verdict::serve:
    case Verdict::make_room:
    case Verdict::refuse_full:
      break;
  }
  return "server full (" + std::to_string(places.max) + " clients), try again later";
}

}  // namespace lochat::admission
