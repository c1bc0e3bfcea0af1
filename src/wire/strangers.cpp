#include "lochat/wire/strangers.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include "lochat/wire/protocol.hpp"
#include "lochat/wire/text.hpp"

namespace lochat::strangers {

namespace {

// Every TLS connection opens with a handshake record: content type 22, then
// the record version's major byte, 3 in every version from SSL 3 to TLS 1.3.
constexpr char kHandshakeRecord = 0x16;
constexpr char kAlertRecord = 0x15;  // what a server refuses a handshake with
constexpr char kRecordMajorVersion = 0x03;

constexpr std::array<std::string_view, 9> kHttpMethods = {
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"};
constexpr std::string_view kHttpVersion = "HTTP/1.";

bool has_blank(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; });
}

}  // namespace

bool opens_tls(std::string_view first_bytes) {
  return !first_bytes.empty() && first_bytes[0] == kHandshakeRecord &&
         (first_bytes.size() < 2 || first_bytes[1] == kRecordMajorVersion);
}

bool answers_tls(std::string_view first_bytes) {
  return !first_bytes.empty() &&
         (first_bytes[0] == kHandshakeRecord || first_bytes[0] == kAlertRecord) &&
         (first_bytes.size() < 2 || first_bytes[1] == kRecordMajorVersion);
}

std::optional<std::string> clear_answer_line(std::string_view bytes, bool ended) {
  const auto end = bytes.find('\n');
  if (end == std::string_view::npos && !ended) return std::nullopt;
  if (std::min(end, bytes.size()) >= kMaxClearAnswer) return std::nullopt;
  auto line = bytes.substr(0, end);
  if (line.ends_with('\r')) line.remove_suffix(1);
  if (line.empty() || text::sanitize(line) != line) return std::nullopt;
  return std::string(line);
}

bool is_http_request_line(std::string_view line) {
  const auto first_blank = line.find(' ');
  const auto last_blank = line.rfind(' ');
  if (first_blank == std::string_view::npos || first_blank == last_blank) return false;
  const auto method = line.substr(0, first_blank);
  const auto target = line.substr(first_blank + 1, last_blank - first_blank - 1);
  const auto version = line.substr(last_blank + 1);
  const bool known_method =
      std::find(kHttpMethods.begin(), kHttpMethods.end(), method) != kHttpMethods.end();
  return known_method && !target.empty() && !has_blank(target) &&
         version.size() == kHttpVersion.size() + 1 && version.starts_with(kHttpVersion) &&
         std::isdigit(static_cast<unsigned char>(version.back())) != 0;
}

std::string not_a_web_server(std::string_view web_address) {
  const std::string what = "this is LoChat's chat port (for lochat and nc), not a web server";
  if (web_address.empty()) return protocol::error(what);
  return protocol::error(what + "; the web client is at " + std::string(web_address));
}

std::string not_tls(std::uint16_t plain_port) {
  const std::string clients = "use a TLS client (lochat, openssl s_client, ncat --ssl)";
  if (plain_port == 0) return protocol::error("this server only speaks TLS; " + clients);
  return protocol::error("this is the TLS port; " + clients + " or the plain port " +
                         std::to_string(plain_port));
}

}  // namespace lochat::strangers
