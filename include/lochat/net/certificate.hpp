#pragma once

#include <string>

// A self-signed ECDSA P-256 key and certificate made once and used from then
// on: the server's when nobody set one up (in its state directory), and each
// client's own (client_key.hpp). Called from the server's constructor and
// the client's main thread only; several processes starting at once on one
// directory take turns (an flock on a lock file there), so they all end up
// with the same pair.
namespace lochat::tls {

// $STATE_DIRECTORY (systemd's StateDirectory=), else $XDG_STATE_HOME/lochat,
// else ~/.local/state/lochat.
std::string default_state_directory();

struct CertificateFiles {
  std::string certificate;
  std::string key;
  bool made = false;  // made just now, not found
};

// `directory`/cert.pem and `directory`/key.pem, made if both are missing
// (the directory too, mode 0700). The key file is created with mode 0600 and
// never readable by others, not even while it is written. NetError on
// failure, and when only one of the two is there: a new pair would be a new
// identity that every pinned client refuses, so the message says to restore
// the missing file or delete the other.
CertificateFiles ensure_self_signed(const std::string& directory, const std::string& common_name);

// Who besides its owner may read or change a private key file (by its mode;
// a file that cannot be looked at counts as private: opening it will say why).
enum class KeyAccess { private_to_owner, group, others };
[[nodiscard]] KeyAccess key_access(const std::string& key_file);

}  // namespace lochat::tls
