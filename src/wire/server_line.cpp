#include "lochat/wire/server_line.hpp"

#include <charconv>
#include <cmath>

#include "lochat/wire/commands.hpp"
#include "lochat/wire/protocol.hpp"

namespace lochat::protocol {

namespace {

constexpr std::size_t kClockTimeLength = 5;  // "HH:MM"
// `ncat --chat` names each sender "<user5> " and speaks itself as "<announce> ".
constexpr std::string_view kNcatAnnounce = "<announce> ";
constexpr char kNcatNameStart = '<';
constexpr std::string_view kNcatNameEnd = "> ";

bool consume_prefix(std::string_view& text, std::string_view prefix) {
  if (!text.starts_with(prefix)) return false;
  text.remove_prefix(prefix.size());
  return true;
}

// "<sender><separator><text>", the sender being everything before the first separator.
bool split_sender(std::string_view rest, std::string_view separator, ServerLine& parsed) {
  const auto end = rest.find(separator);
  if (end == std::string_view::npos || end == 0) return false;
  parsed.sender = rest.substr(0, end);
  parsed.text = rest.substr(end + separator.size());
  return true;
}

// "NAME<phrase>...": a name (no blank) followed by one of the notice phrases.
bool name_then(std::string_view text, std::string_view phrase, std::string_view& name,
               std::string_view& rest) {
  const auto blank = text.find(' ');
  if (blank == std::string_view::npos || blank == 0) return false;
  rest = text.substr(blank);
  if (!consume_prefix(rest, phrase)) return false;
  name = text.substr(0, blank);
  return true;
}

void classify_notice(ServerLine& parsed) {
  std::string_view text = parsed.text;
  std::string_view rest;
  using Topic = ServerLine::Topic;
  if (consume_prefix(text, kOnline)) {
    const auto colon = text.find("): ");
    parsed.topic = Topic::online;
    parsed.detail = colon == std::string_view::npos ? std::string_view{} : text.substr(colon + 3);
  } else if (consume_prefix(text, kYouAreNow)) {
    parsed.topic = Topic::you_are_now;
    parsed.subject = text;
  } else if (name_then(text, kJoined, parsed.subject, rest)) {
    parsed.topic = Topic::joined;
  } else if (name_then(text, kLeft, parsed.subject, rest)) {
    parsed.topic = Topic::left;
    const auto colon = rest.find("): ");
    if (colon != std::string_view::npos) parsed.detail = rest.substr(colon + 3);
  } else if (name_then(text, kWasDisconnected, parsed.subject, rest)) {
    parsed.topic = Topic::disconnected;
  } else if (name_then(text, kVerified, parsed.subject, rest)) {
    parsed.topic = Topic::verified;
  } else if (name_then(text, kNoLongerVerified, parsed.subject, rest)) {
    parsed.topic = Topic::unverified;
  } else if (name_then(text, kRenamed, parsed.subject, rest)) {
    parsed.topic = Topic::renamed;
    parsed.detail = rest;
  } else if (text.starts_with(kSelfDescription)) {
    parsed.topic = Topic::about_server;
  }
}

void classify_error(ServerLine& parsed) {
  std::string_view text = parsed.text;
  using Topic = ServerLine::Topic;
  if (consume_prefix(text, kNameTaken) && text.ends_with(kNameTakenEnd)) {
    parsed.topic = Topic::name_taken;
    parsed.subject = text.substr(0, text.size() - kNameTakenEnd.size());
  } else if (text = parsed.text;
             consume_prefix(text, kNameTaken) && text.ends_with(kNameOwnedEnd)) {
    parsed.topic = Topic::name_owned;
    parsed.subject = text.substr(0, text.size() - kNameOwnedEnd.size());
  } else if (text = parsed.text; consume_prefix(text, kInvalidName)) {
    parsed.topic = Topic::invalid_name;
    parsed.subject = text.substr(0, text.find("': "));
  } else if (text.starts_with(kLineTooLong)) {
    parsed.topic = Topic::line_too_long;
  } else if (consume_prefix(text, kUsage)) {
    parsed.topic = Topic::usage;
    parsed.detail = text;
  } else if (consume_prefix(text, kNobodyCalled)) {
    parsed.topic = Topic::nobody_called;
    parsed.subject = text.substr(0, text.find(' '));
  }
}

ServerLine classify_live(std::string_view text) {
  ServerLine parsed;
  parsed.text = text;
  std::string_view rest = text;
  if (text == kWelcome) {
    parsed.kind = ServerLine::Kind::welcome;
  } else if (text == kAck) {
    parsed.kind = ServerLine::Kind::ack;
  } else if (consume_prefix(rest, kRelayPrefix)) {
    if (split_sender(rest, ": ", parsed)) parsed.kind = ServerLine::Kind::relay;
  } else if (consume_prefix(rest, kPrivatePrefix)) {
    if (split_sender(rest, ": ", parsed)) parsed.kind = ServerLine::Kind::private_message;
  } else if (consume_prefix(rest, kNoticePrefix)) {
    parsed.kind = ServerLine::Kind::notice;
    parsed.text = rest;
    classify_notice(parsed);
  } else if (consume_prefix(rest, kErrorPrefix)) {
    parsed.kind = ServerLine::Kind::error;
    parsed.text = rest;
    classify_error(parsed);
  } else if (consume_prefix(rest, kActionPrefix)) {
    if (split_sender(rest, " ", parsed)) parsed.kind = ServerLine::Kind::action;
  } else if (consume_prefix(rest, kNcatAnnounce)) {
    parsed.kind = ServerLine::Kind::notice;
    parsed.text = rest;
  } else if (consume_prefix(rest, std::string_view(&kNcatNameStart, 1))) {
    if (split_sender(rest, kNcatNameEnd, parsed) &&
        parsed.sender.find(' ') == std::string_view::npos) {
      parsed.kind = ServerLine::Kind::relay;
    }
  }
  return parsed;
}

}  // namespace

ServerLine classify(std::string_view line) {
  if (std::string_view rest = line; consume_prefix(rest, kHistoryPrefix) &&
                                    rest.size() > kClockTimeLength &&
                                    rest[kClockTimeLength] == ' ') {
    ServerLine inner = classify_live(rest.substr(kClockTimeLength + 1));
    inner.replayed = true;
    inner.clock_time = rest.substr(0, kClockTimeLength);
    return inner;
  }
  return classify_live(line);
}

namespace {

bool read_number(std::string_view& text, std::size_t& number) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (error != std::errc{}) return false;
  text.remove_prefix(static_cast<std::size_t>(end - text.data()));
  return true;
}

// "30 lines at once, then 10 a second", or "none".
bool read_flood_limit(std::string_view text, ServerDescription& description) {
  if (text == kNoFloodLimit) return true;
  if (!read_number(text, description.burst) || !consume_prefix(text, kBurstEnd)) return false;
  const auto [end, error] =
      std::from_chars(text.data(), text.data() + text.size(), description.rate);
  // from_chars also reads "inf" and "nan": no rate a client could pace by.
  return error == std::errc{} && std::string_view(end, text.data() + text.size()) == kRateEnd &&
         std::isfinite(description.rate) && description.rate > 0;
}

bool read_password_port(std::string_view text, ServerDescription& description) {
  constexpr std::size_t kHighestPort = 65535;
  std::size_t port = 0;
  if (!consume_prefix(text, kPasswordFieldPort) || !read_number(text, port) || port == 0 ||
      port > kHighestPort || text != ")") {
    return false;
  }
  description.password_port = static_cast<std::uint16_t>(port);
  return true;
}

// One "; "-separated field; fields it does not know are skipped, so a later
// server may add some.
bool read_field(std::string_view field, ServerDescription& description) {
  if (field == kAcknowledges) {
    description.acknowledges = true;
  } else if (consume_prefix(field, kFloodField)) {
    return read_flood_limit(field, description);
  } else if (consume_prefix(field, kMaxLineField)) {
    return read_number(field, description.max_line) && field == kMaxLineEnd;
  } else if (consume_prefix(field, kPasswordField)) {
    return read_password_port(field, description);
  } else if (field == kOwnedNamesField) {
    description.owned_names = true;
  }
  return true;
}

}  // namespace

std::optional<ServerDescription> describe(std::string_view line) {
  std::string_view text = line;
  if (!consume_prefix(text, kNoticePrefix) || !consume_prefix(text, kSelfDescription)) return {};
  ServerDescription description;
  description.acknowledges = false;
  std::size_t version = 0;
  constexpr std::size_t kHighestVersion = 1000000;  // anything past it is garbage, not a version
  if (!read_number(text, version) || version > kHighestVersion) return {};
  description.version = static_cast<int>(version);
  while (consume_prefix(text, kFieldSeparator)) {
    const auto end = text.find(kFieldSeparator);
    if (!read_field(text.substr(0, end), description)) return {};
    text.remove_prefix(end == std::string_view::npos ? text.size() : end);
  }
  if (!text.empty()) return {};
  return description;
}

bool shows_nothing(std::string_view line) {
  return line.find_first_not_of(" \t") == std::string_view::npos;
}

std::vector<std::string_view> names_in_online_list(std::string_view detail) {
  std::vector<std::string_view> names;
  for (const auto& entry : entries_in_online_list(detail)) names.push_back(entry.name);
  return names;
}

std::vector<ListedName> entries_in_online_list(std::string_view detail) {
  std::vector<ListedName> entries;
  const std::string verified_end = std::string(kVerifiedMark) + ")";
  while (!detail.empty()) {
    const auto comma = detail.find(", ");
    const auto entry = detail.substr(0, comma);
    // "alice (5m)" -> "alice"
    entries.push_back({entry.substr(0, entry.rfind(" (")), entry.ends_with(verified_end)});
    detail.remove_prefix(comma == std::string_view::npos ? detail.size() : comma + 2);
  }
  return entries;
}

bool answers_instead_of_ack(const ServerLine& line) {
  using Topic = ServerLine::Topic;
  if (line.kind != ServerLine::Kind::error || line.replayed) return false;
  if (line.topic == Topic::usage) {
    // "usage: /msg NAME text": only an acknowledged command's usage stands for its ack.
    std::string_view usage = line.detail;
    if (!consume_prefix(usage, std::string_view(&kCommandPrefix, 1))) return false;
    const auto* command = commands::find(usage.substr(0, usage.find(' ')));
    return command != nullptr && command->acknowledged;
  }
  return line.topic == Topic::line_too_long || line.topic == Topic::nobody_called;
}

}  // namespace lochat::protocol
