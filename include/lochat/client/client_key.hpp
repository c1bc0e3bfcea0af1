#pragma once

#include <string>

#include "lochat/net/certificate.hpp"

// The client's own key pair: a self-signed ECDSA P-256 key and certificate
// (tls::ensure_self_signed) in $XDG_DATA_HOME/lochat/ (key.pem mode 0600),
// made on first use and presented in every TLS handshake, so the server can
// tell this person from others (names owned by keys, docs/SECURITY.md).
// Main thread only; several lochat processes starting at once share one
// pair (ensure_self_signed locks).
namespace lochat {

// $XDG_DATA_HOME/lochat, else ~/.local/share/lochat.
std::string client_data_directory();

// The key pair's files in client_data_directory(), made if missing. NetError on failure.
tls::CertificateFiles ensure_client_key();

// The SHA-256 fingerprint of the client's key ("AB:CD:..."), as the server
// logs it and an operator lists it; made first if missing. NetError on failure.
std::string client_key_fingerprint();

}  // namespace lochat
