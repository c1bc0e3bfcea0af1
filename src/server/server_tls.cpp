// Server's side of the TLS port (server.hpp): its certificate and key, and
// refusing newcomers there inside TLS (tls_refusals.hpp).
#include <spdlog/spdlog.h>

#include <utility>

#include "lochat/net/certificate.hpp"
#include "lochat/server/server.hpp"
#include "lochat/wire/strangers.hpp"

namespace lochat {

std::string state_directory(const TlsConfig& tls) {
  return tls.state_directory.empty() ? tls::default_state_directory() : tls.state_directory;
}

// The certificate given, or the one made on first start (docs/SECURITY.md).
void Server::start_tls() {
  if (!config_.tls.enabled) return;
  auto files = tls::CertificateFiles{config_.tls.certificate, config_.tls.key};
  if (files.certificate.empty() && files.key.empty()) {
    files = tls::ensure_self_signed(state_directory(config_.tls), host_name());
    if (files.made) spdlog::info("Made a self-signed TLS certificate: {}", files.certificate);
  }
  check_key_access(files.key);
  tls_ = tls::Context::server(files.certificate, files.key);
  tls_listener_ = listen_tcp(config_.host, config_.tls.port, kListenBacklog);
  set_nonblocking(tls_listener_);
  tls_port_ = local_port(tls_listener_);
  tls_refusals_ = std::make_unique<TlsRefusals>(
      *tls_, strangers::not_tls(config_.plain ? port_ : 0), failed_handshakes_);
}

// As sshd does with its host keys: a key every user of the machine can read
// lets any of them pretend to be this server, so it is refused. One its group
// can read is used, with a warning: Debian's ssl-cert group (mode 0640) is
// the usual way to share a key with a service on purpose.
void Server::check_key_access(const std::string& key_file) {
  switch (tls::key_access(key_file)) {
    case tls::KeyAccess::others:
      throw NetError("the TLS key " + key_file +
                     " can be read or changed by every user of this machine, any of whom could "
                     "then pretend to be this server: make it private (chmod 600 " +
                     key_file + ") and start again");
    case tls::KeyAccess::group:
      spdlog::warn(
          "The TLS key {} can be read or changed by its group: unless that is meant, make it "
          "private (chmod 600 {})",
          key_file, key_file);
      return;
    case tls::KeyAccess::private_to_owner:
      return;
  }
}

std::string Server::fingerprint() const {
  return tls_ ? tls_->fingerprint() : "";
}

// In clear, one line on a fresh socket (see say_and_close); on the TLS port,
// inside TLS, by the refusals' thread (or, when it has too many in hand, not at all).
void Server::turn_away(FileDescriptor socket, const std::string& address, std::string line,
                       bool tls) {
  if (!tls || !tls_refusals_) return say_and_close(socket, line);
  tls_refusals_->refuse(std::move(socket), address, std::move(line));
}

}  // namespace lochat
