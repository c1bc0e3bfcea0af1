#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

// The certificates the client has pinned, as OpenSSH keeps host keys: one
// line per server, "HOST PORT FINGERPRINT" (the TLS port and the SHA-256
// fingerprint, "AB:CD:..."), in $XDG_DATA_HOME/lochat/known_servers. Read
// and written by the console's main thread only; the file is rewritten
// whole through a temporary file renamed into place, so a reader never sees
// half of it. No locks.
namespace lochat {

class KnownServers {
 public:
  explicit KnownServers(std::string path) : path_(std::move(path)) {}
  // $XDG_DATA_HOME/lochat/known_servers, else ~/.local/share/lochat/known_servers.
  static std::string default_path();

  struct Pin {
    std::string fingerprint;
    std::size_t line = 0;  // counted from 1, for "delete line N"
  };
  // The pin for host:port, if the file has one.
  [[nodiscard]] std::optional<Pin> find(const std::string& host, std::uint16_t port) const;
  // Adds a line (making the directory if needed); a std::runtime_error says why it could not.
  void add(const std::string& host, std::uint16_t port, const std::string& fingerprint) const;
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace lochat
