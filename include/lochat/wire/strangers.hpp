#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

// Clients of another protocol at a LoChat port, told apart by their first
// bytes: a TLS client at the plain port, a web browser at the plain port, and
// anything but TLS at the TLS port; and, on the client's side, a server that
// answers a TLS client in clear. Pure functions; any thread.
namespace lochat::strangers {

// True if `first_bytes` (what a client sent first, at least one byte) open a
// TLS handshake record: 0x16, then 0x03 if a second byte is there.
[[nodiscard]] bool opens_tls(std::string_view first_bytes);

// True if `first_bytes` (what a server sent first to a TLS client, at least
// one byte) open a TLS record it may answer with: a handshake (its hello) or
// an alert (a refusal), then 0x03 if a second byte is there.
[[nodiscard]] bool answers_tls(std::string_view first_bytes);

// The most of a server's answer in clear that is read, and shown if it is
// one line: an "Error: ..." line is far shorter.
inline constexpr std::size_t kMaxClearAnswer = 512;

// The line a server wrote in clear to a TLS client (an older lochat-server's
// refusal at its TLS port, or one out of descriptors), without its "\n" or
// "\r\n": only if `bytes`, what it sent first, open with one line shorter
// than kMaxClearAnswer, ended by "\n" or by the end of the stream (`ended`),
// that is printable text as it is (text::sanitize leaves it unchanged: valid
// UTF-8, no control characters but tabs). Anything else (binary, a line too
// long, an empty one) is nullopt: nothing a terminal should be shown.
[[nodiscard]] std::optional<std::string> clear_answer_line(std::string_view bytes, bool ended);

// True for a whole HTTP/1.x request line, "GET /path HTTP/1.1": a method in
// capitals from RFC 9110 (or PATCH), one blank, a target of no blanks, one
// blank, and "HTTP/1." and a digit, nothing after. Someone typing "GET me a
// coffee" into nc is chatting; only a line no person types by chance is HTTP.
[[nodiscard]] bool is_http_request_line(std::string_view line);

// The one line for a web browser at the chat port: where the web client is
// (`web_address` like "http://192.168.1.5:4446/"; empty when it is off).
[[nodiscard]] std::string not_a_web_server(std::string_view web_address);

// The one line for a client that does not speak TLS at the TLS port (plain
// text: it cannot read anything else). `plain_port` 0: the plain port only
// points to TLS.
[[nodiscard]] std::string not_tls(std::uint16_t plain_port);

}  // namespace lochat::strangers
