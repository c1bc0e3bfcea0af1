#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "lochat/net/socket.hpp"
#include "lochat/net/tls.hpp"
#include "test_support.hpp"

// A TLS line client of the tests' own, over lochat's tls::Stream: the TLS
// port's lines as `openssl s_client` would show them. One thread only.
namespace lochat::test {

class TlsLineClient {
 public:
  // Connects from `source` (as connect_from) without a handshake yet.
  explicit TlsLineClient(std::uint16_t port, const std::string& source = "127.0.0.1");
  // True once the handshake is done; false if it failed or `timeout` passed.
  bool handshake(std::chrono::milliseconds timeout = kPatience);
  void send_line(std::string_view text);
  // The next whole line without "\n"; nullopt on timeout, close or failure.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout = kPatience);
  // True if the server ends the stream within `timeout` (lines before are skipped).
  bool wait_closed(std::chrono::milliseconds timeout = kPatience);
  [[nodiscard]] tls::Stream& stream() { return *stream_; }

 private:
  FileDescriptor socket_;
  std::unique_ptr<tls::Stream> stream_;
  std::string buffer_;
  bool closed_ = false;
};

}  // namespace lochat::test
