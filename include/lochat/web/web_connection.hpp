#pragma once

// Before Asio: Boost 1.74's awaitable.hpp uses std::exchange without including it.
// clang-format off
#include <utility>
// clang-format on

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <functional>

#include "lochat/net/socket.hpp"
#include "lochat/web/web_config.hpp"

// One browser connection: reads one HTTP request (with the header limit and
// the request timeout), answers it, or, for GET /ws from the page's own
// origin, upgrades to a WebSocket and bridges it to a session (WebBridge).
// With the server's TLS context, a connection whose first byte starts a TLS
// handshake is served the same way over TLS (https://, wss://); with
// --plain off, one in clear is only sent to https://.
//
// Threads: run() is the connection's own thread and the only one that runs
// its io_context, so everything it owns (the socket, the WebSocket, the
// bridge) is touched by that thread alone. stop_soon() and finished() may
// be called from any thread (io_context::post and an atomic).
namespace lochat::web {

class WebConnection {
 public:
  // `on_finished` is called on the connection's thread when run() is done.
  WebConnection(FileDescriptor socket, Endpoint peer, const WebConfig& config,
                const HandOver& hand_over, std::function<void()> on_finished);

  void run();
  // Lets the connection end by itself for `grace`, then stops it.
  void stop_soon(std::chrono::milliseconds grace);
  [[nodiscard]] bool finished() const { return finished_.load(); }
  // Still in the HTTP stage (not yet handed over as a WebSocket); any thread.
  [[nodiscard]] bool pending() const { return pending_.load(); }
  [[nodiscard]] const Endpoint& peer() const { return peer_; }

 private:
  boost::asio::awaitable<void> serve(int socket);
  boost::asio::awaitable<void> serve_tls(boost::beast::tcp_stream plain,
                                         boost::beast::flat_buffer& buffer);
  // Reads, checks and answers one request, or upgrades it (bridge).
  template <class Stream>
  boost::asio::awaitable<void> serve_request(Stream& stream, boost::beast::flat_buffer& buffer,
                                             bool secure);
  template <class Stream, class Request>
  boost::asio::awaitable<void> bridge(Stream& stream, const Request& request, bool secure);

  boost::asio::io_context io_{1};
  FileDescriptor socket_;
  const Endpoint peer_;
  const WebConfig& config_;
  const HandOver& hand_over_;
  std::function<void()> on_finished_;
  std::atomic<bool> finished_{false};
  std::atomic<bool> pending_{true};
};

}  // namespace lochat::web
