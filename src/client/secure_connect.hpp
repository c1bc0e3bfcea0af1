#pragma once

#include <memory>

#include "lochat/client/chat_client.hpp"
#include "lochat/client/config.hpp"

// How `lochat` opens its connection (internal to the console target; main
// thread only): TLS whenever the server offers it, its certificate pinned
// on first sight (known_servers.hpp) and checked every time after; in clear
// only with --plain, or when nothing answers TLS on a server never pinned,
// with a warning. Over TLS it presents the user's key (client_key.hpp),
// made on the first TLS connection. It says on stderr what it did, or why
// it would not; a TLS port that answers in clear has its one line shown,
// marked as unencrypted, and is never chatted with.
namespace lochat::front_end {

// The connected client, or null having said why on stderr.
std::unique_ptr<ChatClient> connect_securely(const ClientConfig& config,
                                             ChatClient::Callbacks callbacks);

}  // namespace lochat::front_end
