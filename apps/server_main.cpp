// lochat-server: parses the command line into a ServerConfig and runs the server.
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "app_support.hpp"
#include "lochat/server/password.hpp"
#include "lochat/server/server.hpp"

namespace {

lochat::Server* running_server = nullptr;

// Server::stop() only stores an atomic and writes an eventfd: async-signal-safe.
extern "C" void request_stop(int /*signal*/) {
  if (running_server != nullptr) running_server->stop();
}

// Server::reload() too: an atomic and the eventfd; the accept loop reads the files.
extern "C" void request_reload(int /*signal*/) {
  if (running_server != nullptr) running_server->reload();
}

void install_signal_handlers() {
  std::signal(SIGPIPE, SIG_IGN);
  struct sigaction action {};
  action.sa_handler = request_stop;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  struct sigaction reload {};
  reload.sa_handler = request_reload;
  sigemptyset(&reload.sa_mask);
  reload.sa_flags = SA_RESTART;
  sigaction(SIGHUP, &reload, nullptr);
}

// stderr suits journald; --log-file adds a rotating file.
void set_up_logging(spdlog::level::level_enum level, const std::string& log_file) {
  constexpr std::size_t kLogFileBytes = 5 * 1024 * 1024;
  constexpr std::size_t kLogFilesKept = 3;
  std::vector<spdlog::sink_ptr> sinks{std::make_shared<spdlog::sinks::stderr_color_sink_mt>()};
  if (!log_file.empty()) {
    sinks.push_back(std::make_shared<spdlog::sinks::rotating_file_sink_mt>(log_file, kLogFileBytes,
                                                                           kLogFilesKept));
  }
  auto logger = std::make_shared<spdlog::logger>("lochat-server", sinks.begin(), sinks.end());
  logger->set_level(level);
  logger->set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%^%l%$] %v");
  spdlog::set_default_logger(logger);
}

// Flags that need converting before they fit ServerConfig.
struct RawFlags {
  double idle_seconds = 0;
  double sendq_timeout_seconds = 30;
  bool no_discovery = false;
  std::string log_file;
  int tls_port = -1;  // -1: the plain port + 1 (with --port 0, any free port too)
  bool no_tls = false;
  std::string password_file;
  bool hash_password = false;
};

// --hash-password: the line for --password-file, from a password read on stdin.
int print_password_hash() {
  const auto password = lochat::app::read_secret("Password for the server: ");
  if (!password) {
    std::fputs("lochat-server: no password given\n", stderr);
    return 2;
  }
  if (const auto problem = lochat::password::problem(*password)) {
    std::fprintf(stderr, "lochat-server: not a usable password: %s\n", problem->c_str());
    return 2;
  }
  if (::isatty(STDIN_FILENO) != 0 && lochat::app::read_secret("The same again: ") != password) {
    std::fputs("lochat-server: the two passwords differ\n", stderr);
    return 2;
  }
  std::printf("%s\n", lochat::password::hash(*password).c_str());
  return 0;
}

// A password is only ever accepted over TLS (docs/SECURITY.md).
bool apply_password_file(const RawFlags& raw, lochat::ServerConfig& config) {
  if (raw.password_file.empty()) return true;
  if (!config.tls.enabled) {
    std::fputs("lochat-server: --password-file needs TLS (drop --no-tls)\n", stderr);
    return false;
  }
  try {
    config.session.password_hash = lochat::password::read_hash_file(raw.password_file);
  } catch (const std::runtime_error& error) {
    std::fprintf(stderr, "lochat-server: %s\n", error.what());
    return false;
  }
  return true;
}

// TLS is on unless --no-tls, on the plain port + 1 unless --tls-port says otherwise.
bool apply_tls_flags(const RawFlags& raw, lochat::ServerConfig& config) {
  config.tls.enabled = !raw.no_tls;
  if (!config.plain && !config.tls.enabled) {
    std::fputs("lochat-server: --plain off needs TLS (drop --no-tls)\n", stderr);
    return false;
  }
  if (config.tls.certificate.empty() != config.tls.key.empty()) {
    std::fputs("lochat-server: --cert and --key go together\n", stderr);
    return false;
  }
  if (raw.tls_port >= 0) {
    config.tls.port = static_cast<std::uint16_t>(raw.tls_port);
  } else if (config.port != 0) {
    if (config.port == 65535) {
      std::fputs("lochat-server: --port 65535 has no next port for TLS; give --tls-port\n", stderr);
      return false;
    }
    config.tls.port = static_cast<std::uint16_t>(config.port + 1);
  }
  return true;
}

void add_tls_flags(CLI::App& app, lochat::ServerConfig& config, RawFlags& raw) {
  app.add_option("--tls-port", raw.tls_port, "TCP port for TLS (0: any free port)")
      ->default_str("--port + 1")
      ->check(lochat::app::whole_number(0, 65535));
  app.add_flag("--no-tls", raw.no_tls, "Do not listen for TLS");
  const std::map<std::string, bool> on_off{{"on", true}, {"off", false}};
  app.add_option("--plain", config.plain,
                 "on: chat in clear on --port too; off: --port only points to the TLS port")
      ->transform(lochat::app::one_of(on_off))
      ->default_str("on");
  app.add_option("--cert", config.tls.certificate, "TLS certificate chain (PEM)")
      ->default_str("self-made in the state directory");
  app.add_option("--key", config.tls.key, "TLS private key (PEM) of --cert");
  app.add_option("--password-file", raw.password_file,
                 "File holding the password's hash (from --hash-password); clients must send "
                 "/pass PASSWORD over TLS before anything else");
  app.add_flag("--hash-password", raw.hash_password,
               "Read a password on stdin, print the line for --password-file, and exit");
  app.add_option("--state-dir", config.tls.state_directory,
                 "Where the self-made TLS key and certificate, the names owned by keys and the "
                 "bans are kept")
      ->default_str("$STATE_DIRECTORY, $XDG_STATE_HOME/lochat or ~/.local/state/lochat");
}

void add_flags(CLI::App& app, lochat::ServerConfig& config, spdlog::level::level_enum& level,
               RawFlags& raw) {
  auto& session = config.session;
  app.add_option("--host", config.host, "Address to listen on")->capture_default_str();
  app.add_option("--port", config.port, "TCP port to listen on (0: any free port)")
      ->capture_default_str()
      ->check(lochat::app::whole_number(0, 65535));
  const std::map<std::string, spdlog::level::level_enum> levels{
      {"trace", spdlog::level::trace}, {"debug", spdlog::level::debug},
      {"info", spdlog::level::info},   {"warn", spdlog::level::warn},
      {"error", spdlog::level::err},   {"off", spdlog::level::off}};
  app.add_option("--log-level", level, "trace, debug (shows message text), info, warn, error, off")
      ->transform(lochat::app::one_of(levels))
      ->default_str("info");
  app.add_flag("--exit-when-empty", config.exit_when_empty, "Stop once the last client has left");
  app.add_option("--history", config.room.history_lines,
                 "Public messages replayed to newcomers (0 = off)")
      ->capture_default_str()
      ->check(lochat::app::not_negative());
  app.add_option("--max-line", session.max_line, "Longest accepted line, in bytes")
      ->capture_default_str()
      ->check(lochat::app::whole_number(16, 1 << 20));
  app.add_option("--max-clients", config.max_clients, "Most clients connected at once")
      ->capture_default_str()
      ->check(lochat::app::whole_number(1));
  app.add_option("--max-per-ip", config.max_per_ip,
                 "Most clients from one address (0 = no fixed cap; the last places are kept for "
                 "other machines anyway)")
      ->capture_default_str()
      ->check(lochat::app::not_negative());
  app.add_option("--sendq", session.sendq_bytes,
                 "Bytes the server may hold for one client alone (its replies, a slot per "
                 "unread line) before it is disconnected")
      ->capture_default_str()
      ->check(lochat::app::whole_number(4096, std::uint64_t{1} << 30));
  app.add_option("--sendq-timeout", raw.sendq_timeout_seconds,
                 "Disconnect a client that has taken no byte for this many seconds while lines "
                 "wait for it")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 86400.0));
  app.add_option("--sendq-total", config.room.sendq_total,
                 "Bytes all clients' queues may hold (each shared line once); past it the client "
                 "furthest behind is disconnected (0 = no bound)")
      ->capture_default_str()
      ->check(lochat::app::not_negative());
  app.add_option("--rate", session.rate, "Lines a second per client; excess is delayed (0 = off)")
      ->capture_default_str()
      ->check(lochat::app::not_negative());
  app.add_option("--burst", session.burst, "Lines a client may send at once before --rate applies")
      ->capture_default_str()
      ->check(lochat::app::whole_number(1));
  app.add_option("--flood-lines", session.flood_lines,
                 "Delayed lines beyond which a client is disconnected for flooding")
      ->capture_default_str()
      ->check(lochat::app::whole_number(1));
  app.add_option("--idle-timeout", raw.idle_seconds,
                 "Disconnect clients silent for this many seconds (0 = never)")
      ->capture_default_str()
      ->check(lochat::app::not_negative());
  app.add_option("--presence-limit", config.room.presence_limit,
                 "Join/leave notices only while at most this many are online (0 = always)")
      ->capture_default_str()
      ->check(lochat::app::not_negative());
  app.add_option("--name", config.name, "Server name shown to clients that discover it")
      ->default_str("the host name");
  app.add_flag("--no-discovery", raw.no_discovery, "Do not answer LAN discovery probes (UDP)");
  app.add_option("--web-port", config.web_port,
                 "Port of the web client (HTTP and WebSocket; 0 = off)")
      ->default_str("the port + 2")
      ->check(lochat::app::whole_number(0, 65535));
  app.add_option("--log-file", raw.log_file, "Also log to this file, rotated at 5 MB");
  app.add_option("--ops-file", config.moderation.ops_file,
                 "Operators' key fingerprints, one a line (read again on SIGHUP)");
  app.add_option("--motd-file", config.moderation.motd_file,
                 "Message of the day, shown to each newcomer (read again on SIGHUP)");
  add_tls_flags(app, config, raw);
  lochat::app::add_config_option(app, "/etc/lochat/server.toml");
}

}  // namespace

int main(int argc, char** argv) {
  lochat::ServerConfig config;
  auto level = spdlog::level::info;
  RawFlags raw;
  CLI::App app{"lochat-server: the LoChat LAN chat server"};
  app.set_version_flag("--version", std::string("lochat-server ") + LOCHAT_VERSION);
  add_flags(app, config, level, raw);
  if (const int exit_code = lochat::app::parse_or_explain(app, argc, argv, "lochat-server");
      exit_code >= 0) {
    return exit_code;
  }
  config.session.idle_timeout =
      std::chrono::milliseconds(static_cast<long>(raw.idle_seconds * 1000));
  config.session.sendq_timeout =
      std::chrono::milliseconds(static_cast<long>(raw.sendq_timeout_seconds * 1000));
  config.discovery = !raw.no_discovery;
  if (raw.hash_password) return print_password_hash();
  if (!apply_tls_flags(raw, config) || !apply_password_file(raw, config)) return 2;

  try {
    set_up_logging(level, raw.log_file);
  } catch (const spdlog::spdlog_ex& error) {
    std::fprintf(stderr, "lochat-server: cannot log to %s: %s\n", raw.log_file.c_str(),
                 error.what());
    return 1;
  }
  spdlog::debug("Open file limit: {}", lochat::raise_open_file_limit());
  lochat::app::limit_malloc_arenas();
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
