#include "lochat/client/view.hpp"

#include <array>
#include <cctype>
#include <cstdint>

#include "lochat/wire/protocol.hpp"
#include "lochat/wire/server_line.hpp"
#include "lochat/wire/text.hpp"

namespace lochat::view {

namespace {

using protocol::ServerLine;

constexpr std::string_view kReset = "\x1b[0m";
constexpr std::string_view kCheckMark = " \xE2\x9C\x93";  // " ✓"
constexpr std::string_view kUnconfirmedMark = " (unconfirmed)";
// After a sender whose key does not own its name: no name can hold a "?".
constexpr std::string_view kUnverifiedMark = "?";
// Peer names take green, blue and cyan only (normal and bright, readable on
// dark and light backgrounds): red is for errors and warnings, yellow for the
// server's notices, magenta for private-message tags, so no name can pass for
// one of them. Your own name is bold reverse video, which no peer name gets.
constexpr std::array kNameColors{32, 34, 36, 92, 94, 96};
constexpr int kBold = 1;
constexpr int kDim = 2;
constexpr int kReverse = 7;
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
  return (mine ? sgr(kBold) + sgr(kReverse) : sgr(name_color(name))) + std::string(name) +
         std::string(kReset);
}

// A history line dimmed from end to end: each reset inside it (a name's
// colour ending) dims again what follows.
std::string dimmed(std::string_view body) {
  std::string line = sgr(kDim);
  for (auto reset = body.find(kReset); reset != std::string_view::npos; reset = body.find(kReset)) {
    line += std::string(body.substr(0, reset)) + std::string(kReset) + sgr(kDim);
    body.remove_prefix(reset + kReset.size());
  }
  return line + std::string(body) + std::string(kReset);
}

// A leaving peer's /quit reason is its own text: quoted, and out of the
// notice colour, so it cannot pass for a notice of the server's.
std::string notice_body(const ServerLine& line, const Style& style) {
  if (line.topic != ServerLine::Topic::left || line.detail.empty()) {
    return paint("*** " + std::string(line.text), kYellow, style);
  }
  const auto notice = line.text.substr(0, line.text.size() - line.detail.size());
  return paint("*** " + std::string(notice), kYellow, style) + "\"" + std::string(line.detail) +
         "\"";
}

std::string body_of(const ServerLine& line, std::string_view my_name, const Style& style,
                    const Unverified& unverified) {
  const bool sent = line.kind == ServerLine::Kind::relay ||
                    line.kind == ServerLine::Kind::private_message ||
                    line.kind == ServerLine::Kind::action;
  const std::string sender =
      !sent ? std::string()
            : painted_name(line.sender, my_name, style) + (unverified && unverified(line.sender)
                                                               ? paint(kUnverifiedMark, kDim, style)
                                                               : std::string());
  switch (line.kind) {
    case ServerLine::Kind::relay:
      return sender + ": " + std::string(line.text);
    case ServerLine::Kind::private_message:
      return paint("[private]", kMagenta, style) + " " + sender + ": " + std::string(line.text);
    case ServerLine::Kind::action:
      return "* " + sender + " " + std::string(line.text);
    case ServerLine::Kind::notice:
      return notice_body(line, style);
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

}  // namespace

Rendered render(std::string_view server_line, std::string_view clock_time, std::string_view my_name,
                const Style& style, const Unverified& unverified) {
  const std::string clean = text::sanitize(server_line);
  const ServerLine line = protocol::classify(clean);
  const std::string_view time = line.replayed ? line.clock_time : clock_time;
  std::string body = body_of(line, my_name, style, unverified);
  if (line.replayed) {
    body = style.color ? dimmed("[history] " + body) : "[history] " + body;
  }
  return {std::string(time) + " " + body, rings(line, my_name, style.bell)};
}

std::string render_own(std::string_view sent_line, std::string_view clock_time,
                       std::string_view my_name, const Style& style, bool confirmed) {
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
  return std::string(clock_time) + " " + body +
         std::string(confirmed ? kCheckMark : kUnconfirmedMark);
}

std::string render_warning(std::string_view text, const Style& style) {
  const std::string line = "! " + std::string(text);
  return style.color ? sgr(kBold) + sgr(kRed) + line + std::string(kReset) : line;
}

std::string name_lost_warning(std::string_view wanted, std::string_view got,
                              bool owned_by_another_key) {
  const std::string shown_as = got.empty() ? "your address" : "'" + std::string(got) + "'";
  if (owned_by_another_key) {
    return "the name '" + std::string(wanted) + "' belongs to another key: you are " + shown_as +
           " here. Whoever took it first with their key owns it.";
  }
  return "the name '" + std::string(wanted) + "' is taken: you are " + shown_as +
         " here. If you did not expect this, someone else may be using your name.";
}

bool mentions(std::string_view text, std::string_view name) {
  if (name.empty()) return false;
  const std::string haystack = text::fold_text(text);
  const std::string needle = text::fold_text(name);
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

}  // namespace lochat::view
