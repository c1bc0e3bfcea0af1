#include "lochat/protocol.hpp"

#include <algorithm>
#include <array>
#include <ctime>
#include <string>

namespace lochat::protocol {

namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim_leading_blanks(std::string_view text) {
  while (!text.empty() && is_blank(text.front())) text.remove_prefix(1);
  return text;
}

bool consume_prefix(std::string_view& text, std::string_view prefix) {
  if (!text.starts_with(prefix)) return false;
  text.remove_prefix(prefix.size());
  return true;
}

}  // namespace

std::string line(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 1);
  out.append(text);
  out.push_back('\n');
  return out;
}

std::string relay(std::string_view sender, std::string_view text) {
  std::string out;
  out.reserve(kRelayPrefix.size() + sender.size() + 2 + text.size() + 1);
  out.append(kRelayPrefix).append(sender).append(": ").append(text).push_back('\n');
  return out;
}

std::string notice(std::string_view text) {
  return line(std::string(kNoticePrefix).append(text));
}

std::string error(std::string_view text) {
  return line(std::string(kErrorPrefix).append(text));
}

std::string private_message(std::string_view sender, std::string_view text) {
  return line(std::string(kPrivatePrefix).append(sender).append(": ").append(text));
}

std::string action(std::string_view sender, std::string_view text) {
  return line(std::string(kActionPrefix).append(sender).append(" ").append(text));
}

std::string clock_time_now() {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  std::array<char, 8> text{};
  std::strftime(text.data(), text.size(), "%H:%M", &local);
  return text.data();
}

std::string history(std::string_view clock_time, std::string_view original_line) {
  if (original_line.ends_with('\n')) original_line.remove_suffix(1);
  return line(std::string(kHistoryPrefix).append(clock_time).append(" ").append(original_line));
}

std::string joined(std::string_view name, std::size_t online) {
  return notice(std::string(name) + " joined (" + std::to_string(online) + " online)");
}

std::string left(std::string_view name, std::size_t online, std::string_view reason) {
  std::string text = std::string(name) + " left (" + std::to_string(online) + " online)";
  if (!reason.empty()) text.append(": ").append(reason);
  return notice(text);
}

std::string renamed(std::string_view old_name, std::string_view new_name) {
  return notice(std::string(old_name) + " is now known as " + std::string(new_name));
}

std::string online_list(const std::vector<OnlineEntry>& entries) {
  std::string text = "Online (" + std::to_string(entries.size()) + "):";
  const char* separator = " ";
  const std::size_t listed = std::min(entries.size(), kMaxListed);
  for (std::size_t i = 0; i < listed; ++i) {
    text.append(separator).append(entries[i].name).append(" (");
    text.append(short_duration(entries[i].connected)).append(")");
    separator = ", ";
  }
  if (listed < entries.size()) {
    text.append(" and ").append(std::to_string(entries.size() - listed)).append(" more");
  }
  return notice(text);
}

std::string short_duration(std::chrono::seconds duration) {
  const auto total = duration.count();
  if (total < 60) return std::to_string(total) + "s";
  if (total < 3600) return std::to_string(total / 60) + "m";
  return std::to_string(total / 3600) + "h " + std::to_string(total % 3600 / 60) + "m";
}

ClientLine parse_client_line(std::string_view text) {
  ClientLine parsed;
  if (text.find_first_not_of(" \t") == std::string_view::npos) return parsed;
  if (text.front() != kCommandPrefix) {
    parsed.kind = ClientLine::Kind::chat;
    parsed.text = text;
    return parsed;
  }
  if (text.size() > 1 && text[1] == kCommandPrefix) {
    parsed.kind = ClientLine::Kind::chat;
    parsed.text = text.substr(1);
    return parsed;
  }
  text.remove_prefix(1);
  const auto name_end = text.find_first_of(" \t");
  parsed.kind = ClientLine::Kind::command;
  parsed.command = text.substr(0, name_end);
  parsed.argument = name_end == std::string_view::npos ? std::string_view{}
                                                       : trim_leading_blanks(text.substr(name_end));
  return parsed;
}

namespace {

// "<sender><separator><text>", the sender being everything before the first separator.
bool split_sender(std::string_view rest, std::string_view separator, ServerLine& parsed) {
  const auto end = rest.find(separator);
  if (end == std::string_view::npos || end == 0) return false;
  parsed.sender = rest.substr(0, end);
  parsed.text = rest.substr(end + separator.size());
  return true;
}

constexpr std::size_t kClockTimeLength = 5;  // "HH:MM"

}  // namespace

ServerLine parse_server_line(std::string_view text) {
  if (std::string_view rest = text; consume_prefix(rest, kHistoryPrefix) &&
                                    rest.size() > kClockTimeLength &&
                                    rest[kClockTimeLength] == ' ') {
    ServerLine inner = parse_server_line(rest.substr(kClockTimeLength + 1));
    inner.replayed = true;
    inner.clock_time = rest.substr(0, kClockTimeLength);
    return inner;
  }
  ServerLine parsed;
  parsed.text = text;
  if (text == kWelcome) {
    parsed.kind = ServerLine::Kind::welcome;
  } else if (text == kAck) {
    parsed.kind = ServerLine::Kind::ack;
  } else if (std::string_view rest = text; consume_prefix(rest, kRelayPrefix)) {
    if (split_sender(rest, ": ", parsed)) parsed.kind = ServerLine::Kind::relay;
  } else if (consume_prefix(rest, kPrivatePrefix)) {
    if (split_sender(rest, ": ", parsed)) parsed.kind = ServerLine::Kind::private_message;
  } else if (consume_prefix(rest, kNoticePrefix)) {
    parsed.kind = ServerLine::Kind::notice;
    parsed.text = rest;
  } else if (consume_prefix(rest, kErrorPrefix)) {
    parsed.kind = ServerLine::Kind::error;
    parsed.text = rest;
  } else if (consume_prefix(rest, kActionPrefix)) {
    if (split_sender(rest, " ", parsed)) parsed.kind = ServerLine::Kind::action;
  }
  return parsed;
}

}  // namespace lochat::protocol
