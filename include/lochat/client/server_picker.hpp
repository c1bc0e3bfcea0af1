#pragma once

#include <cstdint>

#include "lochat/client/config.hpp"

// The client's side of LAN discovery, as a person meets it: part of the
// terminal front end (the console target), so it prints to the terminal and
// may ask on stdin which server to use. Call from the main thread.
namespace lochat {

// `lochat --discover`: one line per server that answered
// ("NAME<TAB>ADDRESS:PORT<TAB>N online<TAB>TLS PORT SHA-256 FINGERPRINT", or
// "no TLS" in the last field), 0 if any did; otherwise one line on stderr and 1.
int list_servers(std::uint16_t port);

// Fills config.host (and port) from the servers that answer a probe: the only
// one, or the one the user picks from a list. False, having said why in one
// line, if none answered or no choice could be made.
bool choose_server(ClientConfig& config);

}  // namespace lochat
