#include "lochat/server/ban_list.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <utility>

#include "lochat/wire/text.hpp"

namespace lochat::moderation {

namespace {

// A SHA-256 fingerprint: 32 bytes, each two hex digits, joined by ':'.
constexpr std::size_t kFingerprintBytes = 32;
constexpr std::size_t kFingerprintLength = kFingerprintBytes * 3 - 1;
// Longer than any ban an operator means (a week is "1w"): guards the
// arithmetic against "99999999999d".
constexpr std::chrono::seconds kLongestDuration = std::chrono::hours(24 * 365 * 10);
constexpr std::string_view kForever = "-";
constexpr std::string_view kBansHeader =
    "# lochat-server bans, one a line: TARGET UNTIL(seconds since 1970, - for ever) BY REASON\n";

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\r") - first + 1);
}

std::pair<std::string_view, std::string_view> next_word(std::string_view text) {
  text = trim(text);
  const auto end = text.find_first_of(" \t");
  if (end == std::string_view::npos) return {text, {}};
  return {text.substr(0, end), trim(text.substr(end))};
}

// A field of the bans file holds no blank or line break of its own.
std::string one_line(std::string_view text) {
  std::string clean = text::sanitize(text);
  std::replace(clean.begin(), clean.end(), '\t', ' ');
  return clean;
}

// Calls `take(number, line)` for each line of `text`, counted from 1.
template <typename Take>
void for_each_line(std::string_view text, Take take) {
  for (std::size_t number = 1; !text.empty(); ++number) {
    const auto end = std::min(text.find('\n'), text.size());
    take(number, text.substr(0, end));
    text.remove_prefix(std::min(end + 1, text.size()));
  }
}

std::string problem(std::size_t number, std::string_view what, std::string_view line) {
  return "line " + std::to_string(number) + ": " + std::string(what) + ": " + text::sanitize(line);
}

std::optional<Ban> parse_ban(std::string_view line) {
  const auto [target, after_target] = next_word(line);
  const auto [until, after_until] = next_word(after_target);
  const auto [by, reason] = next_word(after_until);
  if (!is_address(target) && !parse_fingerprint(target)) return std::nullopt;
  if (until.empty() || by.empty()) return std::nullopt;
  Ban ban{std::string(target), std::nullopt, std::string(by), one_line(reason)};
  if (until != kForever) {
    long long seconds = 0;
    const auto [end, error] = std::from_chars(until.data(), until.data() + until.size(), seconds);
    if (error != std::errc() || end != until.data() + until.size()) return std::nullopt;
    ban.until = Clock::time_point(std::chrono::seconds(seconds));
  }
  return ban;
}

}  // namespace

std::optional<std::chrono::seconds> parse_duration(std::string_view text) {
  if (text.size() < 2) return std::nullopt;
  long long count = 0;
  const auto number = text.substr(0, text.size() - 1);
  const auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), count);
  if (error != std::errc() || end != number.data() + number.size() || count <= 0) {
    return std::nullopt;
  }
  constexpr std::array<std::pair<char, long long>, 5> kUnits{
      {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 7 * 86400}}};
  const auto unit = std::find_if(kUnits.begin(), kUnits.end(),
                                 [&](const auto& known) { return known.first == text.back(); });
  if (unit == kUnits.end() || count > kLongestDuration.count() / unit->second) return std::nullopt;
  return std::chrono::seconds(count * unit->second);
}

std::optional<std::string> parse_fingerprint(std::string_view text) {
  if (text.size() != kFingerprintLength) return std::nullopt;
  std::string upper(text);
  for (std::size_t i = 0; i < upper.size(); ++i) {
    const bool colon_place = i % 3 == 2;
    const auto c = static_cast<unsigned char>(upper[i]);
    if (colon_place ? c != ':' : std::isxdigit(c) == 0) return std::nullopt;
    upper[i] = static_cast<char>(std::toupper(c));
  }
  return upper;
}

bool is_address(std::string_view text) {
  const std::string address(text);
  std::array<unsigned char, sizeof(in6_addr)> parsed{};
  return ::inet_pton(AF_INET, address.c_str(), parsed.data()) == 1 ||
         ::inet_pton(AF_INET6, address.c_str(), parsed.data()) == 1;
}

void BanList::add(Ban ban) {
  remove(ban.target);
  bans_.push_back(std::move(ban));
}

bool BanList::remove(std::string_view target) {
  const auto before = bans_.size();
  std::erase_if(bans_, [target](const Ban& ban) { return ban.target == target; });
  return bans_.size() != before;
}

std::optional<Ban> BanList::find(std::string_view address, std::string_view key,
                                 Clock::time_point now) const {
  const auto found = std::find_if(bans_.begin(), bans_.end(), [&](const Ban& ban) {
    const bool matches = ban.target == address || (!key.empty() && ban.target == key);
    return matches && (!ban.until || *ban.until > now);
  });
  if (found == bans_.end()) return std::nullopt;
  return *found;
}

bool BanList::drop_expired(Clock::time_point now) {
  return std::erase_if(bans_, [now](const Ban& ban) { return ban.until && *ban.until <= now; }) > 0;
}

std::string BanList::to_text() const {
  std::string text(kBansHeader);
  for (const auto& ban : bans_) {
    const std::string until = ban.until
                                  ? std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                                       ban.until->time_since_epoch())
                                                       .count())
                                  : std::string(kForever);
    text += ban.target + " " + until + " " + ban.by + " " + one_line(ban.reason) + "\n";
  }
  return text;
}

BanList BanList::from_text(std::string_view text, Clock::time_point now,
                           std::vector<std::string>& problems) {
  BanList list;
  for_each_line(text, [&](std::size_t number, std::string_view line) {
    line = trim(line);
    if (line.empty() || line.starts_with('#')) return;
    if (auto ban = parse_ban(line)) {
      list.add(std::move(*ban));
    } else {
      problems.push_back(problem(number, "not a ban", line));
    }
  });
  list.drop_expired(now);
  return list;
}

Operators parse_operators(std::string_view text, std::vector<std::string>& problems) {
  Operators operators;
  for_each_line(text, [&](std::size_t number, std::string_view line) {
    line = trim(line.substr(0, line.find('#')));
    if (line.empty()) return;
    if (auto key = parse_fingerprint(line)) {
      operators.keys.insert(std::move(*key));
    } else if (auto name = text::normalize_name(line); !text::name_problem(name)) {
      operators.names.insert(std::move(name));
    } else {
      problems.push_back(problem(number, "neither a key fingerprint nor a name", line));
    }
  });
  return operators;
}

}  // namespace lochat::moderation
