#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace lochat::test {

// Connects `clients` LineClients to 127.0.0.1:port; each sends `messages`
// numbered lines while reading. Checks that every client gets an ack for each
// of its own lines and every other client's lines exactly once, intact and in
// order, and nothing else (presence notices aside). Returns one failure
// description per client that saw something wrong; empty means all was well.
std::vector<std::string> all_to_all_failures(std::uint16_t port, std::size_t clients,
                                             std::size_t messages);

}  // namespace lochat::test
