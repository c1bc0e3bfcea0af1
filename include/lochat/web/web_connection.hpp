#pragma once

// Before Asio: Boost 1.74's awaitable.hpp uses std::exchange without including it.
// clang-format off
#include <utility>
// clang-format on

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <functional>

#include "lochat/net/socket.hpp"
#include "lochat/web/web_config.hpp"

// One browser connection: reads one HTTP request (with the header limit and
// the request timeout), answers it, or, for GET /ws from the page's own
// origin, upgrades to a WebSocket and bridges it to a session (WebBridge).
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

 private:
  boost::asio::awaitable<void> serve(int socket);

  boost::asio::io_context io_{1};
  FileDescriptor socket_;
  const Endpoint peer_;
  const WebConfig& config_;
  const HandOver& hand_over_;
  std::function<void()> on_finished_;
  std::atomic<bool> finished_{false};
};

}  // namespace lochat::web
