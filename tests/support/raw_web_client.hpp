#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "lochat/net/socket.hpp"
#include "test_support.hpp"

// A deliberately small HTTP and WebSocket client written from RFC 6455 by
// hand, so tests can send what no browser sends: unmasked, fragmented,
// oversized and malformed frames. It shares no code with the server's Beast.
// One test thread uses it; every wait has a deadline.
namespace lochat::test {

// One GET (or any raw request) on a fresh connection; the whole answer, read
// until the server closes (headers and body), or what came before the timeout.
std::string http_exchange(std::uint16_t port, std::string_view request,
                          std::chrono::milliseconds timeout = kPatience);
// "GET target HTTP/1.1" with Host 127.0.0.1:port.
std::string http_get(std::uint16_t port, std::string_view target);
// The value of header `name` in a response ("" if absent); names compare in any case.
std::string header_of(const std::string& response, std::string_view name);
int status_of(const std::string& response);

struct Frame {
  int opcode = 0;  // 1 text, 2 binary, 8 close, 9 ping, 10 pong
  std::string payload;
  bool fin = true;
  // For a close frame, the code it carries (0 if none).
  [[nodiscard]] int close_code() const;
};

inline constexpr int kText = 1;
inline constexpr int kContinuation = 0;
inline constexpr int kClose = 8;
inline constexpr int kPing = 9;
inline constexpr int kPong = 10;

// How the upgrade is sent. `origin` empty sends no Origin; `host` empty sends
// 127.0.0.1:port; a `stalling` client never means to read (connect_stalling).
struct Upgrade {
  std::string origin;
  std::string host;
  bool stalling = false;
  std::string target = "/ws";
};

// The upgrade request itself (with RFC 6455's example key), and one frame's
// bytes: for tests that speak them over another transport (TLS).
std::string upgrade_request(std::uint16_t port, const Upgrade& upgrade);
std::string encode_frame(int opcode, std::string_view payload, bool fin = true, bool masked = true);

class RawWebSocket {
 public:
  // Connects and sends the upgrade for /ws.
  explicit RawWebSocket(std::uint16_t port, const std::string& origin = "")
      : RawWebSocket(port, Upgrade{origin, "", false}) {}
  RawWebSocket(std::uint16_t port, const Upgrade& upgrade);
  // The handshake's status (101 on success), read once.
  int handshake_status() const { return status_; }

  // A frame as a browser sends it: masked unless told otherwise.
  void send_frame(int opcode, std::string_view payload, bool fin = true, bool masked = true);
  void send_text(std::string_view text) { send_frame(kText, text); }
  void send_raw(std::string_view bytes);
  void close() { socket_.reset(); }
  std::optional<Frame> read_frame(std::chrono::milliseconds timeout = kPatience);
  // The next text message's payload, skipping server notices ("*** ..."), as LineClient does.
  std::optional<std::string> read_chat_text(std::chrono::milliseconds timeout = kPatience);
  // Reads frames until a text one equals `expected`.
  bool read_until(std::string_view expected, std::chrono::milliseconds timeout = kPatience);
  // Reads until a close frame (returned) or the end of the stream (a close frame with no code).
  std::optional<Frame> read_until_close(std::chrono::milliseconds timeout = kPatience);

 private:
  bool fill(std::size_t bytes, std::chrono::steady_clock::time_point deadline);

  FileDescriptor socket_;
  std::string buffer_;
  bool eof_ = false;
  int status_ = 0;
};

}  // namespace lochat::test
