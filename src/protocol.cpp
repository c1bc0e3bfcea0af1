#include "lochat/protocol.hpp"

#include <string>

namespace lochat::protocol {

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }

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

std::string error(std::string_view text) { return line(std::string(kErrorPrefix).append(text)); }

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
  parsed.argument =
      name_end == std::string_view::npos ? std::string_view{} : trim_leading_blanks(text.substr(name_end));
  return parsed;
}

ServerLine parse_server_line(std::string_view text) {
  ServerLine parsed;
  parsed.text = text;
  if (text == kWelcome) {
    parsed.kind = ServerLine::Kind::welcome;
  } else if (text == kAck) {
    parsed.kind = ServerLine::Kind::ack;
  } else if (std::string_view rest = text; consume_prefix(rest, kRelayPrefix)) {
    const auto separator = rest.find(": ");
    if (separator == std::string_view::npos) return parsed;
    parsed.kind = ServerLine::Kind::relay;
    parsed.sender = rest.substr(0, separator);
    parsed.text = rest.substr(separator + 2);
  } else if (consume_prefix(rest, kNoticePrefix)) {
    parsed.kind = ServerLine::Kind::notice;
    parsed.text = rest;
  } else if (consume_prefix(rest, kErrorPrefix)) {
    parsed.kind = ServerLine::Kind::error;
    parsed.text = rest;
  }
  return parsed;
}

}  // namespace lochat::protocol
