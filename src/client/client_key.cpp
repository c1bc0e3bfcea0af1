#include "lochat/client/client_key.hpp"

#include <cstdlib>

#include "lochat/net/tls.hpp"

namespace lochat {

namespace {

// In every certificate the client makes: the server reads only the key's fingerprint.
constexpr const char* kCommonName = "lochat client";

}  // namespace

std::string client_data_directory() {
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg != nullptr && *xdg != '\0') {
    return std::string(xdg) + "/lochat";
  }
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr && *home != '\0' ? home : ".") + "/.local/share/lochat";
}

tls::CertificateFiles ensure_client_key() {
  return tls::ensure_self_signed(client_data_directory(), kCommonName);
}

std::string client_key_fingerprint() {
  const auto files = ensure_client_key();
  return tls::Context::client(files.certificate, files.key).fingerprint();
}

}  // namespace lochat
