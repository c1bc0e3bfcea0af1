#include "lochat/client/console.hpp"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <utility>

#include "front_end.hpp"
#include "lochat/client/outbox.hpp"
#include "password_prompt.hpp"
#include "secure_connect.hpp"

namespace lochat {

namespace front_end {

volatile std::sig_atomic_t interrupted = 0;

}  // namespace front_end

namespace {

using front_end::Ending;
using front_end::interrupted;
using front_end::PasswordPrompt;

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

// What to answer a server that asks for a password (docs/SECURITY.md): never
// in clear, where anyone on the LAN could read it. `prompt`: ask on the
// terminal when no --password-file gave it (may be null).
std::function<std::string(std::uint16_t, bool)> password_answer(const ClientConfig& config,
                                                                front_end::PasswordPrompt* prompt) {
  return
      [password = config.password, prompt](std::uint16_t tls_port, bool encrypted) -> std::string {
        if (!encrypted) {
          std::fprintf(stderr,
                       "lochat: this server needs a password; not sending it in clear (anyone on "
                       "the LAN could read it): connect over TLS, port %u, without --plain\n",
                       static_cast<unsigned>(tls_port));
          return "";
        }
        if (!password.empty()) return password;
        if (prompt != nullptr) {
          if (auto typed = prompt->answer(); !typed.empty()) return typed;
        }
        // Ctrl-C at the prompt: the user is leaving, not missing a password.
        if (interrupted == 0) {
          std::fputs("lochat: this server needs a password: give --password-file FILE\n", stderr);
        }
        return "";
      };
}

// One connection, from connect to its end; the name it ended with is kept in `name`.
std::optional<Ending> converse(const ClientConfig& config, std::string& name,
                               const PasswordPrompt::Ask& ask_password) {
  // On a terminal, a password nobody gave is asked for before the front end takes it.
  std::optional<PasswordPrompt> prompt;
  if (::isatty(STDIN_FILENO) != 0 && config.password.empty()) prompt.emplace(ask_password);
  front_end::Mailbox mailbox;
  auto callbacks = mailbox.callbacks();
  if (prompt) {
    callbacks.on_line = [&prompt, post = std::move(callbacks.on_line)](std::string_view line) {
      prompt->observe(line);
      post(line);
    };
  }
  callbacks.password_for = password_answer(config, prompt ? &*prompt : nullptr);
  const auto client = front_end::connect_securely(config, std::move(callbacks));
  if (!client) return std::nullopt;
  if (prompt) prompt->ask_if_wanted(Outbox::kDescribeWithin);
  if (interrupted != 0) return Ending::user_quit;
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

int run_console(const ClientConfig& config, const PasswordPrompt::Ask& ask_password) {
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
    const auto ending = converse(config, name, ask_password);
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
