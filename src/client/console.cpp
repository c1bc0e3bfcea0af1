#include "lochat/client/console.hpp"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "front_end.hpp"
#include "secure_connect.hpp"

namespace lochat {

namespace front_end {

volatile std::sig_atomic_t interrupted = 0;

}  // namespace front_end

namespace {

using front_end::Ending;
using front_end::interrupted;

extern "C" void on_interrupt(int /*signal*/) {
  interrupted = 1;
}

void say_server_closed() {
  std::fputs("lochat: the server closed the connection\n", stderr);
}

bool wants_color(const ClientConfig& config) {
  const char* no_color = std::getenv("NO_COLOR");
  return !config.no_color && (no_color == nullptr || *no_color == '\0') && ::isatty(STDOUT_FILENO);
}

// One connection, from connect to its end; the name it ended with is kept in `name`.
std::optional<Ending> converse(const ClientConfig& config, std::string& name) {
  front_end::Mailbox mailbox;
  const auto client = front_end::connect_securely(config, mailbox.callbacks());
  if (!client) return std::nullopt;
  // The front end asks for the name once the server has said it is a lochat-server.
  std::optional<view::NameNegotiation> names;
  if (!name.empty()) names.emplace(name);
  if (::isatty(STDIN_FILENO) == 0) {
    return front_end::run_plain_mode(*client, mailbox, std::move(names), name);
  }
  return front_end::run_terminal_mode(*client, mailbox, std::move(names),
                                      {wants_color(config), config.bell}, name);
}

// Waits `delay` unless Ctrl-C comes first; false if it did.
bool wait_unless_interrupted(std::chrono::seconds delay) {
  const auto until = std::chrono::steady_clock::now() + delay;
  while (std::chrono::steady_clock::now() < until) {
    if (interrupted != 0) return false;
    ::poll(nullptr, 0, 100);
  }
  return interrupted == 0;
}

}  // namespace

int run_console(const ClientConfig& config) {
  constexpr std::chrono::seconds kFirstRetry{1};
  constexpr std::chrono::seconds kLongestRetry{30};
  std::signal(SIGPIPE, SIG_IGN);
  // On a terminal these end the session like :q, so readline restores the terminal.
  if (::isatty(STDIN_FILENO) != 0) {
    for (const int signal : {SIGINT, SIGTERM, SIGHUP}) std::signal(signal, on_interrupt);
  }
  std::string name = config.name;
  bool ever_connected = false;
  auto retry_in = kFirstRetry;
  while (true) {
    const auto ending = converse(config, name);
    if (ending == Ending::user_quit) return 0;
    if (ending == Ending::lines_unconfirmed) return 1;
    // Without --reconnect, or when the very first attempt fails, the user hears why and we stop.
    if (!config.reconnect || (!ending && !ever_connected)) {
      if (ending) say_server_closed();
      return 1;
    }
    if (ending) {
      ever_connected = true;
      retry_in = kFirstRetry;
      std::fputs("lochat: the server closed the connection\n", stderr);
    }
    std::fprintf(stderr, "lochat: reconnecting to %s:%u in %lld s\n", config.host.c_str(),
                 config.port, static_cast<long long>(retry_in.count()));
    if (!wait_unless_interrupted(retry_in)) return 0;
    retry_in = std::min(retry_in * 2, kLongestRetry);
  }
}

}  // namespace lochat
