// Server's side of the web client: starting the web listener, and serving
// the browsers it hands over as clients like any other (server.hpp).
#include <spdlog/spdlog.h>

#include <optional>
#include <utility>

#include "lochat/server/server.hpp"
#include "lochat/web/web_listener.hpp"

namespace lochat {

namespace {

// The web port's place beside the chat port when none is given: 4444 → 4446.
constexpr std::uint16_t kWebPortOffset = 2;
constexpr std::uint16_t kHighestPort = 65535;
// HTTP requests that may be in flight beside the bridged clients, whom
// --max-clients bounds: the listener's threads stay bounded.
constexpr std::size_t kRequestsInFlight = 64;
// Of those, one address may have this many: a few tabs and phones behind one
// NAT load the page at once; a loop of slow requests takes no more.
constexpr std::size_t kRequestsPerAddress = 8;

// The port to listen on (0: any free one), or nullopt for no web client.
std::optional<std::uint16_t> chosen_web_port(const ServerConfig& config) {
  if (config.web_port) {
    if (*config.web_port == 0) return std::nullopt;
    return config.web_port;
  }
  if (config.port == 0) return std::uint16_t{0};  // tests: a free port, read from the log
  if (config.port > kHighestPort - kWebPortOffset) return std::nullopt;
  return static_cast<std::uint16_t>(config.port + kWebPortOffset);
}

}  // namespace

void Server::start_web() {
  const auto port = chosen_web_port(config_);
  if (!port) return;
  web::WebConfig web_config;
  web_config.host = config_.host;
  web_config.port = *port;
  web_config.max_line = config_.session.max_line;
  web_config.max_connections = config_.max_clients + kRequestsInFlight;
  web_config.max_pending = kRequestsInFlight;
  web_config.max_pending_per_address = kRequestsPerAddress;
  web_config.tls = tls_;
  web_config.plain = config_.plain;
  web_config.request_timeout = config_.web_request_timeout;
  web_ = std::make_unique<web::WebListener>(
      web_config, [this](FileDescriptor socket, Endpoint peer, bool secure) {
        hand_over(std::move(socket), std::move(peer), secure);
      });
}

std::uint16_t Server::web_port() const {
  return web_ ? web_->port() : 0;
}

void Server::log_web_addresses() const {
  if (!web_) return;
  // One line per address and scheme the port serves: http unless the chat is
  // TLS only, https whenever TLS is on (same port, told apart by the first byte).
  const bool in_clear = !tls_ || config_.plain;
  for (const auto& address : web::page_addresses(config_.host)) {
    const auto where = Endpoint{address, web_->port()}.to_string();
    if (in_clear) spdlog::info("Web client at http://{}/", where);
    if (tls_)
      spdlog::info("Web client at https://{}/ (the browser asks once to trust the certificate)",
                   where);
  }
}

void Server::hand_over(FileDescriptor socket, Endpoint peer, bool secure) {
  {
    std::lock_guard lock(handed_over_mutex_);
    handed_over_.push_back(
        {std::move(socket), std::move(peer), secure ? Browser::over_tls : Browser::in_clear});
  }
  wake_.notify();
}

// The same admission, limits and session as a TCP newcomer: only the socket differs.
void Server::serve_handed_over() {
  std::vector<HandedOver> taken;
  {
    std::lock_guard lock(handed_over_mutex_);
    taken.swap(handed_over_);
  }
  // A bridged browser speaks in clear to the bridge, whether the browser's
  // own connection is in clear or TLS (the bridge's, in web/): the session
  // is told which, for its password gate.
  for (auto& [socket, peer, browser] : taken) {
    serve_or_refuse(std::move(socket), std::move(peer), nullptr, browser);
  }
}

}  // namespace lochat
