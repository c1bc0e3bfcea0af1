#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "lochat/net/socket.hpp"
#include "lochat/net/tls.hpp"

// The web listener's settings and the hand-over through which a browser
// becomes a session. Plain data.
namespace lochat::web {

struct WebConfig {
  std::string host = "0.0.0.0";
  std::uint16_t port = 0;  // 0: any free port
  // The server's TLS context (its certificate and settings): with it, the
  // port serves https:// and wss:// too, told apart by the first byte.
  std::optional<tls::Context> tls;
  // False (the server's --plain off): in clear, requests for the page are
  // sent to https:// and the WebSocket is refused; only with `tls`.
  bool plain = true;
  // The server's --max-line: a WebSocket message may be up to twice as long,
  // so a line somewhat too long gets the server's usual error as over TCP;
  // a longer one closes the WebSocket (1009, message too big).
  std::size_t max_line = 4096;
  // Connections open at once (HTTP requests and bridged clients); past it a
  // newcomer is closed at once. The server's --max-clients still decides
  // who is served: this only bounds the listener's threads.
  std::size_t max_connections = 1024 + 64;
  // Connections not yet upgraded (reading a request, answering it, or in
  // the TLS or WebSocket handshake), in all and from any one address: past
  // either, a newcomer is closed at once. Slow requests from one address
  // cannot take the places others' browsers need.
  std::size_t max_pending = 64;
  std::size_t max_pending_per_address = 8;
  // A request must arrive whole within this, or the connection is closed.
  std::chrono::milliseconds request_timeout{10000};
  // The browser's kernel send buffer, and the socketpair's, as the plain
  // port's (SessionConfig::socket_send_buffer): a browser that stops reading
  // fills the session's bounded, counted queue, not megabytes of kernel
  // buffer that --sendq does not see.
  int socket_send_buffer = 64 * 1024;
};

// Gives the server one end of a socketpair, to serve as a client from `peer`
// (the browser's address); `secure`: the browser came over TLS (https/wss),
// so the session may take a password. Called on a connection's thread; must
// not block.
using HandOver = std::function<void(FileDescriptor session_end, Endpoint peer, bool secure)>;

}  // namespace lochat::web
