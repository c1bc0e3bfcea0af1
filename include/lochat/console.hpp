#pragma once

#include <cstdint>
#include <string>

#include "lochat/client_view.hpp"

namespace lochat {

struct ClientConfig {
  std::string host = "127.0.0.1";  // lochat itself starts empty and discovers the server
  std::uint16_t port = 4444;
  std::string name;  // empty: none asked for (the server shows the address)
  bool no_color = false;
  view::BellMode bell = view::BellMode::mention;
  // When the server goes away: try again with capped exponential backoff
  // (1 s, 2 s, ... 30 s) and take the same name again.
  bool reconnect = false;
};

// The `lochat` program once its flags are read: connects, then runs the
// interactive console on a terminal, or plain line I/O otherwise. Returns the
// exit code: 0 when the user quit, 1 when the server went away or could not
// be reached.
int run_client(const ClientConfig& config);

}  // namespace lochat
