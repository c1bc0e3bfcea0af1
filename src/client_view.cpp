#include "lochat/client_view.hpp"

#include <array>
#include <cctype>
#include <cstdint>

#include "lochat/protocol.hpp"
#include "lochat/text.hpp"

namespace lochat::view {

namespace {

using protocol::ServerLine;

constexpr std::string_view kReset = "\x1b[0m";
constexpr std::string_view kCheckMark = " \xE2\x9C\x93";  // " ✓"
constexpr int kMaxNameAttempts = 20;
// Bright and normal foreground colours, readable on dark and light backgrounds.
constexpr std::array kNameColors{31, 32, 33, 34, 35, 36, 91, 92, 93, 94, 95, 96};
constexpr int kBold = 1;
constexpr int kDim = 2;
constexpr int kRed = 31;
constexpr int kYellow = 33;
constexpr int kMagenta = 35;

std::string sgr(int code) {
  return "\x1b[" + std::to_string(code) + "m";
}

std::string paint(std::string_view text, int code, const Style& style) {
  if (!style.color) return std::string(text);
  return sgr(code) + std::string(text) + std::string(kReset);
}

std::string painted_name(std::string_view name, std::string_view my_name, const Style& style) {
  if (!style.color) return std::string(name);
  const bool mine = text::fold_name(name) == text::fold_name(my_name);
  return (mine ? sgr(kBold) : "") + sgr(name_color(name)) + std::string(name) + std::string(kReset);
}

std::string body_of(const ServerLine& line, std::string_view my_name, const Style& style) {
  switch (line.kind) {
    case ServerLine::Kind::relay:
      return painted_name(line.sender, my_name, style) + ": " + std::string(line.text);
    case ServerLine::Kind::private_message:
      return paint("[private]", kMagenta, style) + " " + painted_name(line.sender, my_name, style) +
             ": " + std::string(line.text);
    case ServerLine::Kind::action:
      return "* " + painted_name(line.sender, my_name, style) + " " + std::string(line.text);
    case ServerLine::Kind::notice:
      return paint("*** " + std::string(line.text), kYellow, style);
    case ServerLine::Kind::error:
      return paint("! " + std::string(line.text), kRed, style);
    case ServerLine::Kind::welcome:
    case ServerLine::Kind::ack:
    case ServerLine::Kind::other:
      return std::string(line.text);
  }
  return std::string(line.text);
}

bool rings(const ServerLine& line, std::string_view my_name, BellMode mode) {
  if (mode == BellMode::off || line.replayed) return false;
  const bool message = line.kind == ServerLine::Kind::relay ||
                       line.kind == ServerLine::Kind::action ||
                       line.kind == ServerLine::Kind::private_message;
  if (!message) return false;
  if (mode == BellMode::all || line.kind == ServerLine::Kind::private_message) return true;
  return mentions(line.text, my_name);
}

bool is_word_character(unsigned char c) {
  return std::isalnum(c) != 0 || c == '_' || c >= 0x80;
}

// The name before " (" in a "/who" entry such as "alice (5m)".
std::string_view name_of_entry(std::string_view entry) {
  return entry.substr(0, entry.rfind(" ("));
}

void replace_all_names(std::set<std::string>& names, std::string_view list) {
  names.clear();
  while (!list.empty()) {
    const auto comma = list.find(", ");
    names.emplace(name_of_entry(list.substr(0, comma)));
    list.remove_prefix(comma == std::string_view::npos ? list.size() : comma + 2);
  }
}

// Drops whole UTF-8 characters from the end until `text` is at most `bytes` long.
std::string truncate_utf8(std::string text, std::size_t bytes) {
  while (text.size() > bytes) {
    text.pop_back();
    while (!text.empty() && (static_cast<unsigned char>(text.back()) & 0xC0) == 0x80)
      text.pop_back();
  }
  return text;
}

}  // namespace

Rendered render(std::string_view server_line, std::string_view clock_time, std::string_view my_name,
                const Style& style) {
  const std::string clean = text::sanitize(server_line);
  const ServerLine line = protocol::parse_server_line(clean);
  const std::string_view time = line.replayed ? line.clock_time : clock_time;
  std::string body = body_of(line, my_name, style);
  if (line.replayed) {
    body =
        style.color ? sgr(kDim) + "[history] " + body + std::string(kReset) : "[history] " + body;
  }
  return {std::string(time) + " " + body, rings(line, my_name, style.bell)};
}

std::string render_own(std::string_view sent_line, std::string_view clock_time,
                       std::string_view my_name, const Style& style) {
  const std::string clean = text::sanitize(sent_line);
  const auto parsed = protocol::parse_client_line(clean);
  std::string body;
  if (parsed.kind == protocol::ClientLine::Kind::command && parsed.command == "me") {
    body = "* " + painted_name(my_name, my_name, style) + " " + std::string(parsed.argument);
  } else if (parsed.kind == protocol::ClientLine::Kind::command && parsed.command == "msg") {
    const auto space = parsed.argument.find(' ');
    body = paint("[to " + std::string(parsed.argument.substr(0, space)) + "]", kMagenta, style) +
           " " +
           std::string(space == std::string_view::npos ? "" : parsed.argument.substr(space + 1));
  } else {
    body = painted_name(my_name, my_name, style) + ": " + std::string(parsed.text);
  }
  return std::string(clock_time) + " " + body + std::string(kCheckMark);
}

bool mentions(std::string_view text, std::string_view name) {
  if (name.empty()) return false;
  const std::string haystack = text::fold_name(text);
  const std::string needle = text::fold_name(name);
  for (auto at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + 1)) {
    const bool starts_word =
        at == 0 || !is_word_character(static_cast<unsigned char>(haystack[at - 1]));
    const auto end = at + needle.size();
    const bool ends_word =
        end == haystack.size() || !is_word_character(static_cast<unsigned char>(haystack[end]));
    if (starts_word && ends_word) return true;
  }
  return false;
}

int name_color(std::string_view name) {
  std::uint32_t hash = 2166136261U;  // FNV-1a
  for (const char byte : text::fold_name(name)) {
    hash = (hash ^ static_cast<unsigned char>(byte)) * 16777619U;
  }
  return kNameColors[hash % kNameColors.size()];
}

void Roster::observe(std::string_view server_line) {
  const ServerLine line = protocol::parse_server_line(server_line);
  if (line.replayed) return;
  if (line.kind == ServerLine::Kind::relay || line.kind == ServerLine::Kind::action ||
      line.kind == ServerLine::Kind::private_message) {
    names_.emplace(line.sender);
    return;
  }
  if (line.kind != ServerLine::Kind::notice) return;
  const std::string_view notice = line.text;
  if (notice.starts_with("Online (")) {
    const auto colon = notice.find("): ");
    if (colon != std::string_view::npos) replace_all_names(names_, notice.substr(colon + 3));
    return;
  }
  const auto first_blank = notice.find(' ');
  const std::string_view who = notice.substr(0, first_blank);
  const std::string_view rest =
      first_blank == std::string_view::npos ? "" : notice.substr(first_blank);
  if (rest.starts_with(" joined (")) {
    names_.emplace(who);
  } else if (rest.starts_with(" left (") || rest.starts_with(" was disconnected: ")) {
    names_.erase(std::string(who));
  } else if (rest.starts_with(" is now known as ") && who != "You") {
    names_.erase(std::string(who));
    names_.emplace(rest.substr(std::string_view(" is now known as ").size()));
  }
}

std::set<std::string> completions(std::string_view prefix, const Roster& roster) {
  static const std::array<std::string_view, 6> kCommandNames{"/help", "/me",   "/msg",
                                                             "/nick", "/quit", "/who"};
  std::set<std::string> found;
  if (prefix.starts_with('/')) {
    for (const auto command : kCommandNames) {
      if (command.starts_with(prefix)) found.emplace(command);
    }
    return found;
  }
  const std::string folded_prefix = text::fold_name(prefix);
  for (const auto& name : roster.names()) {
    if (text::fold_name(name).starts_with(folded_prefix)) found.insert(name);
  }
  return found;
}

NameNegotiation::NameNegotiation(std::string wanted)
    : wanted_(std::move(wanted)), current_(wanted_) {}

std::string NameNegotiation::first_request() const {
  return "/nick " + current_;
}

std::optional<std::string> NameNegotiation::observe(std::string_view server_line) {
  if (settled_) return std::nullopt;
  if (server_line == "*** You are now known as " + current_) {
    settled_ = true;
    return std::nullopt;
  }
  if (server_line == "Error: the name " + current_ + " is already taken" &&
      attempt_ < kMaxNameAttempts) {
    const std::string suffix = "_" + std::to_string(++attempt_);
    current_ = truncate_utf8(wanted_, text::kMaxNameLength - suffix.size()) + suffix;
    return "/nick " + current_;
  }
  if (server_line.starts_with("Error: the name ") ||
      server_line.starts_with("Error: invalid name")) {
    settled_ = true;  // keep the address the server gave us
    current_.clear();
  }
  return std::nullopt;
}

std::string name_from_login(std::string_view login) {
  std::string name;
  for (const char c : login) {
    const auto byte = static_cast<unsigned char>(c);
    name.push_back(std::isalnum(byte) != 0 || c == '_' || c == '-' || c == '.' ? c : '_');
  }
  name = name.substr(0, text::kMaxNameLength);
  return name.empty() ? "guest" : name;
}

}  // namespace lochat::view
