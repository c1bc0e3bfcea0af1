#include "lochat/client/known_servers.hpp"

#include <sstream>

#include "lochat/client/client_key.hpp"
#include "lochat/net/state_files.hpp"

namespace lochat {

std::string KnownServers::default_path() {
  return client_data_directory() + "/known_servers";
}

std::optional<KnownServers::Pin> KnownServers::find(const std::string& host,
                                                    std::uint16_t port) const {
  std::istringstream lines(files::read_all(path_));
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
  files::make_parent_directories(path_);
  std::string text = files::read_all(path_);
  if (!text.empty() && !text.ends_with('\n')) text.push_back('\n');
  text += host + " " + std::to_string(port) + " " + fingerprint + "\n";
  files::write_atomically(path_, 0600, text);
}

}  // namespace lochat
