// lochat-server: parses the command line into a ServerConfig and runs the server.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <map>
#include <string>

#include "lochat/server.hpp"

namespace {

lochat::Server* running_server = nullptr;

// Server::stop() only stores an atomic and writes an eventfd: async-signal-safe.
extern "C" void request_stop(int /*signal*/) {
  if (running_server != nullptr) running_server->stop();
}

void install_signal_handlers() {
  std::signal(SIGPIPE, SIG_IGN);
  struct sigaction action {};
  action.sa_handler = request_stop;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

void use_stderr_logger(spdlog::level::level_enum level) {
  auto logger = spdlog::stderr_color_mt("lochat-server");
  logger->set_level(level);
  logger->set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%^%l%$] %v");
  spdlog::set_default_logger(logger);
}

struct Durations {
  double idle_seconds = 0;
};

void add_flags(CLI::App& app, lochat::ServerConfig& config, spdlog::level::level_enum& level,
               Durations& durations) {
  auto& session = config.session;
  app.add_option("--host", config.host, "Address to listen on")->capture_default_str();
  app.add_option("--port", config.port, "TCP port to listen on")->capture_default_str();
  const std::map<std::string, spdlog::level::level_enum> levels{
      {"trace", spdlog::level::trace}, {"debug", spdlog::level::debug},
      {"info", spdlog::level::info},   {"warn", spdlog::level::warn},
      {"error", spdlog::level::err},   {"off", spdlog::level::off}};
  app.add_option("--log-level", level, "trace, debug (shows message text), info, warn, error, off")
      ->transform(CLI::CheckedTransformer(levels, CLI::ignore_case))
      ->default_str("info");
  app.add_flag("--exit-when-empty", config.exit_when_empty, "Stop once the last client has left");
  app.add_option("--history", config.history_lines,
                 "Public messages replayed to newcomers (0 = off)")
      ->capture_default_str();
  app.add_option("--max-line", session.max_line, "Longest accepted line, in bytes")
      ->capture_default_str()
      ->check(CLI::Range(16, 1 << 20));
  app.add_option("--max-clients", config.max_clients, "Most clients connected at once")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--max-per-ip", config.max_per_ip, "Most clients from one address (0 = no limit)")
      ->capture_default_str();
  app.add_option("--sendq", session.sendq_bytes,
                 "Bytes queued for a client that is not reading before it is disconnected")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{4096}, std::size_t{1} << 30));
  app.add_option("--rate", session.rate, "Lines a second per client; excess is delayed (0 = off)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--burst", session.burst, "Lines a client may send at once before --rate applies")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--flood-lines", session.flood_lines,
                 "Delayed lines beyond which a client is disconnected for flooding")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--idle-timeout", durations.idle_seconds,
                 "Disconnect clients silent for this many seconds (0 = never)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
}

}  // namespace

int main(int argc, char** argv) {
  lochat::ServerConfig config;
  auto level = spdlog::level::info;
  Durations durations;
  CLI::App app{"lochat-server: the LoChat LAN chat server"};
  app.set_version_flag("--version", std::string("lochat-server ") + LOCHAT_VERSION);
  add_flags(app, config, level, durations);
  CLI11_PARSE(app, argc, argv);
  config.session.idle_timeout =
      std::chrono::milliseconds(static_cast<long>(durations.idle_seconds * 1000));

  use_stderr_logger(level);
  spdlog::debug("Open file limit: {}", lochat::raise_open_file_limit());
  try {
    lochat::Server server(config);
    running_server = &server;
    install_signal_handlers();
    server.run();
    running_server = nullptr;
  } catch (const lochat::NetError& error) {
    spdlog::error("{}", error.what());
    return 1;
  }
  std::puts("Exited Gracefully! Bye :)");
  return 0;
}
