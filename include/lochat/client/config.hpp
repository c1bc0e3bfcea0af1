#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "lochat/client/view.hpp"

namespace lochat {

// What the `lochat` flags and config file say, for the console (console.hpp)
// and the server picker (server_picker.hpp). A plain value.
struct ClientConfig {
  std::string host = "127.0.0.1";  // lochat itself starts empty and discovers the server
  std::uint16_t port = 4444;
  std::string name;  // empty: none asked for (the server shows the address)
  bool no_color = false;
  view::BellMode bell = view::BellMode::mention;
  // When the server goes away: try again with capped exponential backoff
  // (1 s, 2 s, ... 30 s) and take the same name again.
  bool reconnect = false;
  // TLS (docs/SECURITY.md): the server's TLS port; nullopt: port + 1; 0: the
  // server offers none (as discovery told). `plain` chats in clear on `port`.
  std::optional<std::uint16_t> tls_port;
  bool plain = false;
  std::string known_servers;  // where pins are kept; empty: KnownServers::default_path()
};

}  // namespace lochat
