#pragma once

// Before Asio: Boost 1.74's awaitable.hpp uses std::exchange without including it.
// clang-format off
#include <utility>
// clang-format on

#include <boost/asio/awaitable.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <cstddef>
#include <memory>

// Makes a browser's WebSocket a client like any other: the server serves the
// other end of a socketpair as an ordinary session, and the bridge
// translates. Each WebSocket message becomes one line + "\n" on the
// socketpair (a "\n" inside a message ends a line there, as over TCP; the
// page never sends one); each line the session writes becomes one text
// message. Back-pressure passes through: the bridge reads the next message
// only once the last is written, so a session that stops reading stops the
// browser, and a browser that stops reading fills the session's send queue
// (--sendq and --sendq-timeout apply). Either side's end ends the other:
// the browser gone, the session reads the end of its input; the session
// gone, the browser gets what was left and a close frame, or, if it does not
// take them within a short grace (the session dropped it for not reading),
// a TCP reset, so no orphaned kernel socket keeps its backlog.
//
// The same over TLS (wss://): the bridge is a template over the stream under
// the WebSocket, made for exactly the two below (web_bridge.cpp).
//
// Threads: both directions are coroutines on the connection's one
// io_context thread; Beast allows one read and one write in flight on a
// WebSocket, which is what they are. Pings, pongs and the close handshake
// are Beast's.
namespace lochat::web {

using PlainStream = boost::beast::tcp_stream;
using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;
using SessionEnd = boost::asio::local::stream_protocol::socket;

template <class Stream>
class WebBridge : public std::enable_shared_from_this<WebBridge<Stream>> {
 public:
  using WebSocket = boost::beast::websocket::stream<Stream>;
  // `max_server_line`: a longer line from the session is a bug, not chat:
  // the bridge ends rather than hold it.
  WebBridge(WebSocket socket, SessionEnd session_end, std::size_t max_server_line);
  // Starts both directions; the bridge lives until both have ended.
  void start();

 private:
  boost::asio::awaitable<void> browser_to_session();
  boost::asio::awaitable<void> session_to_browser();
  // Once the session has closed its end (it quit, or dropped a browser that
  // stopped reading), resets the browser's connection if it has not closed
  // within a short grace: a stalled browser's backlog is freed at once.
  boost::asio::awaitable<void> reset_if_left_behind();

  WebSocket socket_;
  SessionEnd session_end_;
  const std::size_t max_server_line_;
};

extern template class WebBridge<PlainStream>;
extern template class WebBridge<TlsStream>;

}  // namespace lochat::web
