#include "lochat/client/known_servers.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace lochat {

namespace {

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

std::string read_all(const std::string& path) {
  std::ifstream file(path);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

void make_directories(const std::string& path) {
  for (std::size_t slash = path.find('/', 1); slash != std::string::npos;
       slash = path.find('/', slash + 1)) {
    const std::string prefix = path.substr(0, slash);
    if (::mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) {
      throw std::runtime_error("cannot make " + prefix + ": " + std::strerror(errno));
    }
  }
}

}  // namespace

std::string KnownServers::default_path() {
  if (const auto xdg = env("XDG_DATA_HOME"); !xdg.empty()) return xdg + "/lochat/known_servers";
  const auto home = env("HOME");
  return (home.empty() ? std::string(".") : home) + "/.local/share/lochat/known_servers";
}

std::optional<KnownServers::Pin> KnownServers::find(const std::string& host,
                                                    std::uint16_t port) const {
  std::istringstream lines(read_all(path_));
  std::string line;
  for (std::size_t number = 1; std::getline(lines, line); ++number) {
    std::istringstream fields(line);
    std::string line_host;
    unsigned line_port = 0;
    std::string fingerprint;
    if (fields >> line_host >> line_port >> fingerprint && line_host == host && line_port == port) {
      return Pin{fingerprint, number};
    }
  }
  return std::nullopt;
}

void KnownServers::add(const std::string& host, std::uint16_t port,
                       const std::string& fingerprint) const {
  make_directories(path_);
  std::string text = read_all(path_);
  if (!text.empty() && !text.ends_with('\n')) text.push_back('\n');
  text += host + " " + std::to_string(port) + " " + fingerprint + "\n";
  const std::string temporary = path_ + ".new";
  {
    std::ofstream file(temporary, std::ios::trunc);
    file << text;
    if (!file.flush()) throw std::runtime_error("cannot write " + temporary);
  }
  if (::rename(temporary.c_str(), path_.c_str()) != 0) {
    ::unlink(temporary.c_str());
    throw std::runtime_error("cannot write " + path_ + ": " + std::strerror(errno));
  }
}

}  // namespace lochat
