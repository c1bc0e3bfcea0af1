#include "lochat/net/certificate.hpp"

#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "lochat/net/socket.hpp"
#include "lochat/net/state_files.hpp"

namespace lochat::tls {

namespace {

// Long enough never to expire under a running LAN server; clients pin the
// key, not the dates, so rotating it is a deliberate act (docs/SECURITY.md).
constexpr long kValidSeconds = 20L * 365 * 24 * 60 * 60;
constexpr int kSerialBits = 64;

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* pointer) const { Free(pointer); }
};
using KeyPointer = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using CertificatePointer = std::unique_ptr<X509, Deleter<X509, X509_free>>;

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

[[noreturn]] void fail_with_errno_or_openssl_error(const std::string& what) {
  std::array<char, 256> text{};
  ERR_error_string_n(ERR_get_error(), text.data(), text.size());
  throw NetError(what + ": " + (errno != 0 ? std::strerror(errno) : text.data()));
}

bool exists(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0;
}

CertificatePointer self_signed(EVP_PKEY* key, const std::string& common_name) {
  CertificatePointer certificate(X509_new());
  X509_set_version(certificate.get(), 2);  // v3
  std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>> serial(BN_new());
  BN_rand(serial.get(), kSerialBits, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY);
  BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(certificate.get()));
  X509_gmtime_adj(X509_getm_notBefore(certificate.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(certificate.get()), kValidSeconds);
  X509_set_pubkey(certificate.get(), key);
  X509_NAME* name = X509_get_subject_name(certificate.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("LoChat"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509_set_issuer_name(certificate.get(), name);
  if (X509_sign(certificate.get(), key, EVP_sha256()) == 0)
    fail_with_errno_or_openssl_error("cannot sign the certificate");
  return certificate;
}

void make_key_and_certificate(const CertificateFiles& files, const std::string& common_name) {
  errno = 0;
  KeyPointer key(EVP_EC_gen("P-256"));
  if (!key) fail_with_errno_or_openssl_error("cannot make a TLS key");
  const auto certificate = self_signed(key.get(), common_name);
  files::write_atomically(files.key, 0600, [&](std::FILE* file) {
    return PEM_write_PrivateKey(file, key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1;
  });
  files::write_atomically(files.certificate, 0644, [&](std::FILE* file) {
    return PEM_write_X509(file, certificate.get()) == 1;
  });
}

// One file of the pair without the other: making a new pair would silently
// change the server's identity, and every client that pinned it would then
// refuse it as an attack. Whoever runs the server decides.
[[noreturn]] void refuse_half_a_pair(const CertificateFiles& files, bool have_certificate) {
  const auto& missing = have_certificate ? files.key : files.certificate;
  const auto& present = have_certificate ? files.certificate : files.key;
  throw NetError("the TLS " + std::string(have_certificate ? "key " : "certificate ") + missing +
                 " is missing, but " + present +
                 " is there: restore it from a backup to keep this server's identity, or "
                 "delete " +
                 present +
                 " too to make a new key and certificate (clients that pinned the old one will "
                 "then refuse this server until their users delete its line in known_servers)");
}

}  // namespace

std::string default_state_directory() {
  if (const auto systemd = env("STATE_DIRECTORY"); !systemd.empty()) {
    // systemd may list several directories, separated by ':'; ours is the first.
    return systemd.substr(0, systemd.find(':'));
  }
  if (const auto xdg = env("XDG_STATE_HOME"); !xdg.empty()) return xdg + "/lochat";
  const auto home = env("HOME");
  return (home.empty() ? std::string(".") : home) + "/.local/state/lochat";
}

CertificateFiles ensure_self_signed(const std::string& directory, const std::string& common_name) {
  files::make_parent_directories(directory + "/");
  CertificateFiles files{directory + "/cert.pem", directory + "/key.pem", false};
  const std::string lock_path = directory + "/.lock";
  errno = 0;
  const FileDescriptor lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!lock.valid() || ::flock(lock.get(), LOCK_EX) != 0)
    fail_with_errno_or_openssl_error("cannot lock " + lock_path);
  const bool have_certificate = exists(files.certificate);
  const bool have_key = exists(files.key);
  if (have_certificate != have_key) refuse_half_a_pair(files, have_certificate);
  if (!have_certificate) {
    make_key_and_certificate(files, common_name);
    files.made = true;
  }
  return files;  // closing the lock file releases the lock
}

KeyAccess key_access(const std::string& key_file) {
  struct stat info {};
  if (::stat(key_file.c_str(), &info) != 0) return KeyAccess::private_to_owner;
  if ((info.st_mode & (S_IROTH | S_IWOTH)) != 0) return KeyAccess::others;
  if ((info.st_mode & (S_IRGRP | S_IWGRP)) != 0) return KeyAccess::group;
  return KeyAccess::private_to_owner;
}

}  // namespace lochat::tls
