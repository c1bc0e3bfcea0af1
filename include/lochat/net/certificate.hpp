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

// `directory`/cert.pem and `directory`/key.pem, made if either is missing
// (the directory too, mode 0700). The key file is created with mode 0600 and
// never readable by others, not even while it is written. NetError on failure.
CertificateFiles ensure_self_signed(const std::string& directory, const std::string& common_name);

}  // namespace lochat::tls
