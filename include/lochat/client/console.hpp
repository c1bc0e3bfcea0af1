#pragma once

#include <functional>
#include <optional>
#include <string>

#include "lochat/client/config.hpp"

namespace lochat {

// The `lochat` program once its flags are read: the terminal front end.
// Connects, then runs the interactive console on a terminal (GNU readline),
// or plain line I/O otherwise; with config.reconnect, comes back after the
// server goes away. This front end is the only library code that reads stdin
// and writes to the terminal. Call from the main thread; it starts the
// client's receive thread itself. Returns the exit code: 0 when the user
// quit, 1 when the server went away or could not be reached.
// `ask_password` reads a password on the terminal with echo off (nullopt:
// none); it is used when a server asks for one and config.password is empty.
int run_console(const ClientConfig& config,
                const std::function<std::optional<std::string>()>& ask_password);

}  // namespace lochat
