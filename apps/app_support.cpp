#include "app_support.hpp"

#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <thread>

namespace lochat::app {

namespace {

std::string config_file_in_use(const CLI::App& app) {
  const CLI::Option* config = app.get_config_ptr();
  if (config == nullptr) return "";
  const std::string file =
      config->count() > 0 ? config->as<std::string>() : config->get_default_str();
  return file;
}

// CLI11 words unknown config keys as "INI was not able to parse KEY".
std::string reword(const CLI::ParseError& error) {
  const std::string message = error.what();
  const std::string unknown = "INI was not able to parse ";
  if (message.rfind(unknown, 0) == 0) return "unknown key '" + message.substr(unknown.size()) + "'";
  return message;
}

}  // namespace

void add_config_option(CLI::App& app, const std::string& default_file) {
  app.set_config("--config", default_file, "Read options from this TOML/INI file")
      ->capture_default_str();
  app.allow_config_extras(false);
}

int parse_or_explain(CLI::App& app, int argc, char** argv, const std::string& program) {
  try {
    app.parse(argc, argv);
    return -1;
  } catch (const CLI::CallForHelp& help) {
    return app.exit(help);
  } catch (const CLI::CallForVersion& version) {
    return app.exit(version);
  } catch (const CLI::ConfigError& error) {
    std::fprintf(stderr, "%s: %s: %s\n", program.c_str(), config_file_in_use(app).c_str(),
                 reword(error).c_str());
    return 2;
  } catch (const CLI::ParseError& error) {
    // A bad value may come from the file as well as from the command line.
    const std::string file = config_file_in_use(app);
    const bool file_read = !file.empty() && std::filesystem::exists(file);
    std::fprintf(stderr, "%s: %s%s\n", program.c_str(), reword(error).c_str(),
                 file_read ? (" (command line or " + file + ")").c_str() : "");
    return 2;
  }
}

CLI::Validator not_negative() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        const auto first = value.find_first_not_of(" \t");
        if (first != std::string::npos && value[first] == '-') {
          return "must be 0 or more, not " + value;
        }
        return "";
      },
      "NONNEGATIVE");
}

CLI::Validator whole_number(std::uint64_t min, std::uint64_t max) {
  const std::string allowed =
      max == 0 ? "a whole number of " + std::to_string(min) + " or more"
               : "a whole number from " + std::to_string(min) + " to " + std::to_string(max);
  return CLI::Validator(
      [min, max, allowed](std::string& value) -> std::string {
        std::uint64_t number = 0;
        const auto* end = value.data() + value.size();
        const auto [stop, error] = std::from_chars(value.data(), end, number);
        const bool whole = !value.empty() && error == std::errc() && stop == end;
        if (!whole || number < min || (max != 0 && number > max)) {
          return "must be " + allowed + ", not " + value;
        }
        return "";
      },
      max == 0 ? ">= " + std::to_string(min) : std::to_string(min) + ".." + std::to_string(max));
}

void limit_malloc_arenas() {
  const unsigned cores = std::max(1U, std::thread::hardware_concurrency());
  ::mallopt(M_ARENA_MAX, static_cast<int>(std::max(4U, 2 * cores)));
}

namespace {

// How often a wait for the password looks whether Ctrl-C was pressed.
constexpr int kInterruptCheckMs = 100;

volatile std::sig_atomic_t secret_interrupted = 0;

void on_interrupt_while_secret(int /*signal*/) {
  secret_interrupted = 1;
}

// Catches SIGINT while it lives (from before the prompt shows, so no Ctrl-C
// is lost between the two), then hands one it caught on to whatever handled
// SIGINT before: the client's "quit as :q does", or the default.
class InterruptCatcher {
 public:
  InterruptCatcher() {
    struct sigaction catching {};
    catching.sa_handler = on_interrupt_while_secret;
    secret_interrupted = 0;
    ::sigaction(SIGINT, &catching, &before_);
  }
  ~InterruptCatcher() {
    ::sigaction(SIGINT, &before_, nullptr);
    if (caught()) std::raise(SIGINT);
  }
  InterruptCatcher(const InterruptCatcher&) = delete;
  InterruptCatcher& operator=(const InterruptCatcher&) = delete;
  [[nodiscard]] static bool caught() { return secret_interrupted != 0; }

 private:
  struct sigaction before_ {};
};

// One line from the terminal, byte by byte so that Ctrl-C can end the wait.
std::optional<std::string> read_terminal_line() {
  std::string line;
  bool ended = false;
  char byte = 0;
  while (!InterruptCatcher::caught() && !ended) {
    // The signal may be taken by another of the process's threads: poll a
    // little at a time rather than sleep in read() until Enter.
    pollfd input{STDIN_FILENO, POLLIN, 0};
    if (::poll(&input, 1, kInterruptCheckMs) <= 0) continue;
    const auto got = ::read(STDIN_FILENO, &byte, 1);
    if (got == 1 && byte != '\n') line.push_back(byte);
    ended = got == 0 || (got == 1 && byte == '\n') || (got < 0 && errno != EINTR);
  }
  if (InterruptCatcher::caught() || byte != '\n') return std::nullopt;  // or input ended first
  return line;
}

}  // namespace

std::optional<std::string> read_secret(const char* prompt) {
  termios saved{};
  const bool terminal = ::isatty(STDIN_FILENO) != 0 && ::tcgetattr(STDIN_FILENO, &saved) == 0;
  std::optional<std::string> line;
  if (terminal) {
    const InterruptCatcher interrupt;
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    // Echo goes off before the prompt shows, and nothing typed is flushed:
    // a password typed (or pasted) as soon as the prompt appears is kept.
    ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    std::fputs(prompt, stderr);
    line = read_terminal_line();
    ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    std::fputs("\n", stderr);  // the Enter that was not echoed
  } else if (std::string piped; std::getline(std::cin, piped)) {
    line = std::move(piped);
  }
  if (line && !line->empty() && line->back() == '\r') line->pop_back();
  return line;
}

}  // namespace lochat::app
