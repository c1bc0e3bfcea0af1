#pragma once

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

// The pure parts of moderation (docs/SECURITY.md, "Operators and bans"): how
// an operator's words are read (durations, targets), the list of bans (and of
// mutes, which work the same way without a file), and the text of the ops
// and bans files. No locks and no I/O: Moderation (moderation.hpp) owns one
// of each under its mutex, and the unit tests use them alone.
namespace lochat::moderation {

using Clock = std::chrono::system_clock;

// "30s", "10m", "2h", "1d", "1w": a positive whole number and one unit; nullopt otherwise.
std::optional<std::chrono::seconds> parse_duration(std::string_view text);
// A key's SHA-256 fingerprint as the server logs it and `lochat --whoami`
// prints it: 32 hex pairs joined by ':' (any case). In upper case, or nullopt.
std::optional<std::string> parse_fingerprint(std::string_view text);
// An IPv4 or IPv6 address as the server writes peers' addresses ("127.0.0.2", "::1").
bool is_address(std::string_view text);

// One ban (or mute): a target, an address or a key's fingerprint; until when
// (nullopt: for ever); which operator set it and why.
struct Ban {
  std::string target;
  std::optional<Clock::time_point> until;
  std::string by;
  std::string reason;
};

// Bans by target, at most one per target (a new ban of a target replaces its
// old one). Not thread-safe: its owner guards it.
class BanList {
 public:
  void add(Ban ban);
  // False if `target` was not banned.
  bool remove(std::string_view target);
  // The ban in force at `now` on `address` or `key` ("" for no key), if any.
  [[nodiscard]] std::optional<Ban> find(std::string_view address, std::string_view key,
                                        Clock::time_point now) const;
  // Forgets the bans that have run out; true if there were any.
  bool drop_expired(Clock::time_point now);
  [[nodiscard]] const std::vector<Ban>& entries() const { return bans_; }

  // The bans file: a comment, then one line a ban, "TARGET UNTIL BY REASON",
  // UNTIL in seconds since 1970 or "-" for ever, BY without blanks, REASON the rest.
  [[nodiscard]] std::string to_text() const;
  // Reads what to_text() wrote, skipping bans expired at `now`; each line it
  // cannot read is skipped and described in `problems` ("line 3: ...").
  static BanList from_text(std::string_view text, Clock::time_point now,
                           std::vector<std::string>& problems);

 private:
  std::vector<Ban> bans_;
};

// The ops file: one operator a line, a key fingerprint or a name (whose
// owning key is then an operator's, see name_owners.hpp); blank lines and
// everything after '#' are ignored. Each line that is neither is skipped and
// described in `problems`.
struct Operators {
  std::set<std::string> keys;
  std::set<std::string> names;  // normalized (text::normalize_name)
};
Operators parse_operators(std::string_view text, std::vector<std::string>& problems);

}  // namespace lochat::moderation
