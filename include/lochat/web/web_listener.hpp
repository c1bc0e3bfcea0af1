#pragma once

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "lochat/net/event_fd_wake.hpp"
#include "lochat/net/socket.hpp"
#include "lochat/web/web_config.hpp"

// The web client's listener: `--web-port` serves the page and upgrades
// GET /ws to a WebSocket bridged to an ordinary session (over TLS too, when
// given the server's TLS context). Connections still in the HTTP stage are
// bounded in all and per address, apart from the bridged ones.
//
// Threads: the listener's own thread accepts, starts one thread per
// connection (WebConnection) and joins those that have finished. Nothing
// else touches a connection, except the destructor, which lets each finish
// for a moment, then stops and joins them. connections_mutex_ guards connections_.
namespace lochat::web {

class WebConnection;

class WebListener {
 public:
  // Binds and listens at once: a port in use fails here with a NetError.
  WebListener(WebConfig config, HandOver hand_over);
  ~WebListener();
  WebListener(const WebListener&) = delete;
  WebListener& operator=(const WebListener&) = delete;

  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] std::size_t connections() const;

 private:
  struct Running {
    std::shared_ptr<WebConnection> connection;
    std::thread thread;
  };

  void serve();
  void accept_pending();
  void reap_finished();
  // Whether a request from `address` may start: connections still in the
  // HTTP stage, in all and from that address, are under their bounds
  // (WebConfig::max_pending...). Called with connections_mutex_ held.
  [[nodiscard]] bool room_for_request(const std::string& address) const;

  const WebConfig config_;
  const HandOver hand_over_;
  FileDescriptor listener_;
  std::uint16_t port_ = 0;
  EventFdWake wake_;
  std::atomic<bool> stopping_{false};
  mutable std::mutex connections_mutex_;
  std::list<Running> connections_;
  std::thread thread_;  // last: started once everything above exists
};

// The addresses a browser can use for a server listening on `host`: the
// host itself, or, for the wildcard 0.0.0.0, every IPv4 address of the
// interfaces that are up (127.0.0.1 among them).
std::vector<std::string> page_addresses(const std::string& host);

}  // namespace lochat::web
