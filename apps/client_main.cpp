// lochat: parses the command line into a ClientConfig and runs the client.
#include <pwd.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>

#include "app_support.hpp"
#include "lochat/client/client_key.hpp"
#include "lochat/client/console.hpp"
#include "lochat/client/name_negotiation.hpp"
#include "lochat/client/server_picker.hpp"
#include "lochat/net/socket.hpp"

namespace {

std::string login_name() {
  if (const char* user = std::getenv("USER"); user != nullptr && *user != '\0') return user;
  if (const passwd* entry = ::getpwuid(::getuid()); entry != nullptr) return entry->pw_name;
  return "";
}

// $XDG_CONFIG_HOME/lochat/client.toml, or ~/.config/lochat/client.toml.
std::string default_config_file() {
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg != nullptr && *xdg != '\0') {
    return std::string(xdg) + "/lochat/client.toml";
  }
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : ".") + "/.config/lochat/client.toml";
}

// The password is the file's first line; false (having said why) if it cannot be read.
bool read_password_file(const std::string& path, std::string& password) {
  std::ifstream file(path);
  if (!file || !std::getline(file, password)) {
    std::fprintf(stderr, "lochat: cannot read the password file %s\n", path.c_str());
    return false;
  }
  if (!password.empty() && password.back() == '\r') password.pop_back();
  return true;
}

// The line an operator puts in the server's --ops-file for this user.
int print_whoami() {
  try {
    std::printf("%s\n", lochat::client_key_fingerprint().c_str());
    return 0;
  } catch (const lochat::NetError& error) {
    std::fprintf(stderr, "lochat: %s\n", error.what());
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  lochat::ClientConfig config;
  config.host.clear();
  config.name = lochat::view::name_from_login(login_name());
  bool list_servers = false;
  bool whoami = false;
  CLI::App app{"lochat: chat with everyone on a LoChat server"};
  app.set_version_flag("--version", std::string("lochat ") + LOCHAT_VERSION);
  app.add_option("--host", config.host, "Server address (none: find the server on the LAN)");
  app.add_option("--port", config.port, "Server TCP port")
      ->capture_default_str()
      ->check(lochat::app::whole_number(1, 65535));
  app.add_option("--name", config.name, "Your name in the chat")->default_str("your login name");
  app.add_flag("--no-color", config.no_color, "No colours (also when NO_COLOR is set)");
  const std::map<std::string, lochat::view::BellMode> bells{
      {"all", lochat::view::BellMode::all},
      {"mention", lochat::view::BellMode::mention},
      {"off", lochat::view::BellMode::off}};
  app.add_option("--bell", config.bell, "Ring the terminal bell: all, mention (or private), off")
      ->transform(lochat::app::one_of(bells))
      ->default_str("mention");
  app.add_flag("--reconnect", config.reconnect,
               "When the server goes away, keep trying to reconnect");
  app.add_flag("--discover", list_servers, "List the LoChat servers on the LAN and exit");
  app.add_flag("--whoami", whoami,
               "Print your key's fingerprint (made if needed; what a server operator lists) and "
               "exit");
  app.add_option("--tls-port", config.tls_port, "Server TLS port")->default_str("--port + 1");
  app.add_flag("--plain", config.plain,
               "Chat in clear on --port, even with a server pinned for TLS (not encrypted)");
  std::string password_file;
  app.add_option("--password-file", password_file,
                 "File whose first line is the server's password (sent over TLS only)");
  lochat::app::add_config_option(app, default_config_file());
  if (const int exit_code = lochat::app::parse_or_explain(app, argc, argv, "lochat");
      exit_code >= 0) {
    return exit_code;
  }
  if (!password_file.empty() && !read_password_file(password_file, config.password)) return 2;
  if (whoami) return print_whoami();
  if (list_servers) return lochat::list_servers(config.port);
  if (config.host.empty() && !lochat::choose_server(config)) return 1;
  return lochat::run_console(config, [] { return lochat::app::read_secret("Server password: "); });
}
