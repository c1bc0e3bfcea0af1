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

}  // namespace

int main(int argc, char** argv) {
  lochat::ServerConfig config;
  auto level = spdlog::level::info;
  CLI::App app{"lochat-server: the LoChat LAN chat server"};
  app.set_version_flag("--version", std::string("lochat-server ") + LOCHAT_VERSION);
  app.add_option("--host", config.host, "Address to listen on")->capture_default_str();
  app.add_option("--port", config.port, "TCP port to listen on")->capture_default_str();
  const std::map<std::string, spdlog::level::level_enum> levels{
      {"trace", spdlog::level::trace}, {"debug", spdlog::level::debug},
      {"info", spdlog::level::info},   {"warn", spdlog::level::warn},
      {"error", spdlog::level::err},   {"off", spdlog::level::off}};
  app.add_option("--log-level", level, "trace, debug (shows message text), info, warn, error, off")
      ->transform(CLI::CheckedTransformer(levels, CLI::ignore_case))
      ->default_str("info");
  app.add_flag("--exit-when-empty", config.exit_when_empty,
               "Stop once the last client has left");
  CLI11_PARSE(app, argc, argv);

  use_stderr_logger(level);
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
