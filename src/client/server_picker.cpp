#include "lochat/client/server_picker.hpp"

#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "lochat/net/discovery.hpp"

namespace lochat {

namespace {

constexpr std::chrono::milliseconds kListenForReplies{1000};

std::string describe(const discovery::ServerInfo& server) {
  const std::string tls = server.tls_port == 0 ? std::string("\tno TLS")
                                               : "\tTLS " + std::to_string(server.tls_port) +
                                                     " SHA-256 " + server.fingerprint;
  // A server with TLS serves the page over https on the same port (PROTOCOL.md).
  const std::string scheme = server.tls_port == 0 ? "http" : "https";
  const std::string web = server.web_port == 0 ? std::string()
                                               : "\t" + scheme + "://" + server.address + ":" +
                                                     std::to_string(server.web_port) + "/";
  return server.name + "\t" + server.address + ":" + std::to_string(server.port) + "\t" +
         std::to_string(server.users) + " online" + tls + web;
}

std::vector<discovery::ServerInfo> find_servers(std::uint16_t port) {
  try {
    return discovery::discover(port, kListenForReplies);
  } catch (const NetError& error) {
    std::fprintf(stderr, "lochat: %s\n", error.what());
    return {};
  }
}

// Asks which server to use; nullopt when the answer is not one of them.
std::optional<std::size_t> ask_which(const std::vector<discovery::ServerInfo>& servers) {
  std::printf("Several LoChat servers answered:\n");
  for (std::size_t i = 0; i < servers.size(); ++i) {
    std::printf("  %zu) %s\n", i + 1, describe(servers[i]).c_str());
  }
  std::printf("Which one? ");
  std::fflush(stdout);
  std::string answer;
  if (!std::getline(std::cin, answer)) return std::nullopt;
  try {
    const auto choice = std::stoul(answer);
    if (choice >= 1 && choice <= servers.size()) return choice - 1;
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

// With no interface that can broadcast, no probe can be sent: say that,
// rather than that nobody answered.
bool nothing_to_search() {
  if (!discovery::broadcast_interfaces().empty()) return false;
  std::fputs(
      "lochat: no network to search for servers (no interface that can broadcast is up); "
      "give the server's address with --host ADDRESS\n",
      stderr);
  return true;
}

}  // namespace

int list_servers(std::uint16_t port) {
  if (nothing_to_search()) return 1;
  const auto servers = find_servers(port);
  for (const auto& server : servers) std::printf("%s\n", describe(server).c_str());
  if (servers.empty()) {
    std::fprintf(stderr, "lochat: no LoChat server answered on UDP port %u\n", port);
    return 1;
  }
  return 0;
}

bool choose_server(ClientConfig& config) {
  if (nothing_to_search()) return false;
  const auto servers = find_servers(config.port);
  if (servers.empty()) {
    std::fprintf(stderr,
                 "lochat: no LoChat server answered on the local network; "
                 "give its address with --host ADDRESS\n");
    return false;
  }
  std::size_t chosen = 0;
  if (servers.size() > 1) {
    const auto answer = ::isatty(STDIN_FILENO) != 0 ? ask_which(servers) : std::nullopt;
    if (!answer) {
      std::fprintf(stderr, "lochat: %zu servers answered; choose one with --host ADDRESS\n",
                   servers.size());
      return false;
    }
    chosen = *answer;
  }
  config.host = servers[chosen].address;
  config.port = servers[chosen].port;
  config.tls_port = servers[chosen].tls_port;
  std::fprintf(stderr, "lochat: connecting to %s at %s:%u\n", servers[chosen].name.c_str(),
               config.host.c_str(), config.port);
  return true;
}

}  // namespace lochat
