#include "lochat/client/name_negotiation.hpp"

#include <cctype>

#include "lochat/client/view.hpp"
#include "lochat/wire/protocol.hpp"
#include "lochat/wire/server_line.hpp"
#include "lochat/wire/text.hpp"

namespace lochat::view {

namespace {

constexpr int kMaxNameAttempts = 20;

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

NameNegotiation::NameNegotiation(std::string wanted)
    : wanted_(std::move(wanted)), current_(wanted_) {}

std::string NameNegotiation::first_request() const {
  return protocol::nick_request(current_);
}

std::optional<std::string> NameNegotiation::observe(std::string_view server_line) {
  if (settled_) return std::nullopt;
  const auto line = protocol::classify(server_line);
  using Topic = protocol::ServerLine::Topic;
  if (line.replayed) return std::nullopt;
  if (line.topic == Topic::you_are_now && line.subject == current_) {
    settled_ = true;
    return std::nullopt;
  }
  const bool refused = line.topic == Topic::name_taken || line.topic == Topic::name_owned;
  if (line.topic == Topic::name_owned && line.subject == wanted_) wanted_owned_ = true;
  if (refused && line.subject == current_ && attempt_ < kMaxNameAttempts) {
    const std::string suffix = "_" + std::to_string(++attempt_);
    current_ = truncate_utf8(wanted_, text::kMaxNameLength - suffix.size()) + suffix;
    return protocol::nick_request(current_);
  }
  if (refused || line.topic == Topic::invalid_name) {
    settled_ = true;  // keep the address the server gave us
    current_.clear();
  }
  return std::nullopt;
}

std::string NameNegotiation::lost_name_warning() const {
  return name_lost_warning(wanted_, current_, wanted_owned_);
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
