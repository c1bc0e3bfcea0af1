#include "lochat/net/tls.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <utility>

#include "lochat/net/socket.hpp"
#include "lochat/wire/strangers.hpp"

namespace lochat::tls {

namespace {

// TLS 1.2 suites with forward secrecy and AEAD only (TLS 1.3's own list is
// all of that already); ECDSA first, as the self-made key is ECDSA.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305";

std::string last_error() {
  std::array<char, 256> text{};
  ERR_error_string_n(ERR_get_error(), text.data(), text.size());
  ERR_clear_error();
  return text.data();
}

ssl_ctx_st* new_context(const SSL_METHOD* method) {
  SSL_CTX* context = SSL_CTX_new(method);
  if (context == nullptr) throw NetError("cannot set up TLS: " + last_error());
  SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
  // No tickets: nothing resumes sessions, and each would cost a write per client.
  SSL_CTX_set_options(context, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                   SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_TICKET);
  SSL_CTX_set_num_tickets(context, 0);
  SSL_CTX_set_cipher_list(context, kTls12Ciphers);
  // Non-blocking writes of part of a buffer, retried from wherever it now is;
  // an idle connection gives its buffers back (thousands of idle clients).
  SSL_CTX_set_mode(context, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                                SSL_MODE_RELEASE_BUFFERS);
  return context;
}

// The socket under a Stream, as OpenSSL's own socket BIO but for MSG_NOSIGNAL
// (a write to a peer that has gone must not raise SIGPIPE: socket.hpp's rule)
// and for the peer's first bytes, looked at before OpenSSL takes any.
Wire& wire_of(BIO* bio) {
  return *static_cast<Wire*>(BIO_get_data(bio));
}

bool would_block() {
  return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

int socket_write(BIO* bio, const char* data, int length) {
  BIO_clear_retry_flags(bio);
  const auto sent = ::send(wire_of(bio).socket, data, static_cast<std::size_t>(length),
                           MSG_NOSIGNAL | MSG_DONTWAIT);
  if (sent < 0 && would_block()) BIO_set_retry_write(bio);
  return static_cast<int>(sent);
}

// Peeked, not taken: bytes that are no TLS stay for the caller. One byte
// alone is given the benefit of the doubt (waiting for the next would spin on
// a readable socket). What OpenSSL's read must return when it may not read
// yet: -1 (to retry if nothing came yet) or 0 (the end); else 1.
int check_first_bytes(BIO* bio, Wire& wire) {
  std::array<char, 2> first{};
  const auto got = ::recv(wire.socket, first.data(), first.size(), MSG_PEEK | MSG_DONTWAIT);
  if (got < 0 && would_block()) BIO_set_retry_read(bio);
  if (got <= 0) return static_cast<int>(got);
  const std::string_view bytes(first.data(), static_cast<std::size_t>(got));
  const bool tls = wire.accepting ? strangers::opens_tls(bytes) : strangers::answers_tls(bytes);
  wire.first = tls ? Wire::First::tls : Wire::First::not_tls;
  return tls ? 1 : -1;
}

int socket_read(BIO* bio, char* data, int length) {
  BIO_clear_retry_flags(bio);
  Wire& wire = wire_of(bio);
  if (wire.first != Wire::First::tls) {
    if (const int checked = check_first_bytes(bio, wire); checked <= 0) return checked;
  }
  const auto got = ::recv(wire.socket, data, static_cast<std::size_t>(length), MSG_DONTWAIT);
  if (got < 0 && would_block()) BIO_set_retry_read(bio);
  return static_cast<int>(got);
}

long socket_control(BIO* /*bio*/, int command, long /*number*/, void* /*pointer*/) {
  return command == BIO_CTRL_FLUSH ? 1 : 0;
}

const BIO_METHOD* socket_method() {
  static BIO_METHOD* const method = [] {
    BIO_METHOD* made = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "lochat socket");
    BIO_meth_set_write(made, socket_write);
    BIO_meth_set_read(made, socket_read);
    BIO_meth_set_ctrl(made, socket_control);
    BIO_meth_set_create(made, [](BIO* bio) {
      BIO_set_init(bio, 1);
      return 1;
    });
    return made;
  }();
  return method;
}

std::string fingerprint_of(const X509* certificate) {
  if (certificate == nullptr) return "";
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (X509_digest(certificate, EVP_sha256(), digest.data(), &length) != 1) return "";
  constexpr std::string_view kHex = "0123456789ABCDEF";
  std::string text;
  for (unsigned int i = 0; i < length; ++i) {
    if (i > 0) text.push_back(':');
    text.push_back(kHex[digest[i] >> 4]);
    text.push_back(kHex[digest[i] & 0xF]);
  }
  return text;
}

// A client may present a certificate, its own self-signed key: the server
// asks for one, never requires it, and accepts any, since what it proves is
// only that the client holds the key with that fingerprint (names owned by
// keys). Clients without one (nc over TLS, openssl s_client) go on as before.
int accept_any_client_key(int /*preverified*/, X509_STORE_CTX* /*store*/) {
  return 1;
}

void ask_for_client_keys(SSL_CTX* context) {
  SSL_CTX_set_verify(context, SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE, accept_any_client_key);
  // OpenSSL refuses to resume a session it verified without an id context.
  static constexpr unsigned char kSessionContext[] = "lochat";
  SSL_CTX_set_session_id_context(context, kSessionContext, sizeof kSessionContext - 1);
}

// The certificate and key a side presents; a NetError says which file could not be used.
void use_certificate(SSL_CTX* context, const std::string& certificate_file,
                     const std::string& key_file) {
  if (SSL_CTX_use_certificate_chain_file(context, certificate_file.c_str()) != 1) {
    throw NetError("cannot use the TLS certificate " + certificate_file + ": " + last_error());
  }
  if (SSL_CTX_use_PrivateKey_file(context, key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(context) != 1) {
    throw NetError("cannot use the TLS key " + key_file + ": " + last_error());
  }
}

}  // namespace

void Context::Free::operator()(ssl_ctx_st* context) const {
  SSL_CTX_free(context);
}

Context Context::server(const std::string& certificate_file, const std::string& key_file) {
  Context made(new_context(TLS_server_method()));
  use_certificate(made.get(), certificate_file, key_file);
  made.fingerprint_ = fingerprint_of(SSL_CTX_get0_certificate(made.get()));
  ask_for_client_keys(made.get());
  return made;
}

Context Context::client() {
  Context made(new_context(TLS_client_method()));
  // Self-signed certificates are the rule: the caller pins the fingerprint.
  SSL_CTX_set_verify(made.get(), SSL_VERIFY_NONE, nullptr);
  return made;
}

Context Context::client(const std::string& certificate_file, const std::string& key_file) {
  Context made = client();
  use_certificate(made.get(), certificate_file, key_file);
  made.fingerprint_ = fingerprint_of(SSL_CTX_get0_certificate(made.get()));
  return made;
}

Stream::Stream(const Context& context, int socket, Role role)
    : ssl_(SSL_new(context.get())), wire_{socket, role == Role::accept} {
  BIO* bio = ssl_ != nullptr ? BIO_new(socket_method()) : nullptr;
  if (bio == nullptr) {
    SSL_free(ssl_);
    throw NetError("cannot start TLS: " + last_error());
  }
  BIO_set_data(bio, &wire_);
  SSL_set_bio(ssl_, bio, bio);  // the SSL object owns it from here
  if (role == Role::accept) {
    SSL_set_accept_state(ssl_);
  } else {
    SSL_set_connect_state(ssl_);
  }
}

Stream::~Stream() {
  SSL_free(ssl_);
}

// OpenSSL's per-thread error queue must be empty before each call, or a
// stale error would be read as this call's.
Stream::Io Stream::handshake() {
  note_call();
  ERR_clear_error();
  const auto step = result_of(SSL_do_handshake(ssl_));
  if (step.status != Io::Status::done && wire_.first == Wire::First::not_tls) {
    return {Io::Status::not_tls, 0, Wait::nothing};
  }
  return step;
}

bool Stream::handshake_until(std::chrono::steady_clock::time_point deadline) {
  while (true) {
    const auto step = handshake();
    if (step.status == Io::Status::done) return true;
    if (step.status != Io::Status::would_block) return false;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    if (!wait_for(wire_.socket, step.wait, left)) return false;
  }
}

Stream::Io Stream::read(std::span<char> buffer) {
  note_call();
  ERR_clear_error();
  std::size_t got = 0;
  const int returned = SSL_read_ex(ssl_, buffer.data(), buffer.size(), &got);
  return outcome(returned, got);
}

Stream::Io Stream::write(std::string_view bytes) {
  note_call();
  ERR_clear_error();
  std::size_t written = 0;
  const int returned = SSL_write_ex(ssl_, bytes.data(), bytes.size(), &written);
  return outcome(returned, written);
}

// (Called with the count once the call has set it: argument order is unspecified.)
Stream::Io Stream::outcome(int returned, std::size_t bytes) {
  if (returned == 1) return {Io::Status::done, bytes, Wait::nothing};
  return result_of(returned);
}

std::size_t Stream::buffered() const {
  note_call();
  return static_cast<std::size_t>(SSL_pending(ssl_));
}

void Stream::close_notify() {
  note_call();
  if (std::exchange(close_notified_, true)) return;
  ERR_clear_error();
  SSL_shutdown(ssl_);
  ERR_clear_error();
}

std::string Stream::peer_fingerprint() const {
  note_call();
  return fingerprint_of(SSL_get0_peer_certificate(ssl_));
}

Stream::Io Stream::result_of(int returned) {
  switch (SSL_get_error(ssl_, returned)) {
    case SSL_ERROR_NONE:
      return {Io::Status::done, 0, Wait::nothing};
    case SSL_ERROR_WANT_READ:
      return {Io::Status::would_block, 0, Wait::readable};
    case SSL_ERROR_WANT_WRITE:
      return {Io::Status::would_block, 0, Wait::writable};
    case SSL_ERROR_ZERO_RETURN:
      return {Io::Status::closed, 0, Wait::nothing};
    case SSL_ERROR_SYSCALL:
      // A reset, or the end of the stream without close_notify: the peer is gone either way.
      ERR_clear_error();
      return {Io::Status::closed, 0, Wait::nothing};
    default:
      ERR_clear_error();
      return {Io::Status::failed, 0, Wait::nothing};
  }
}

ReadResult as_read_result(const Stream::Io& io) {
  switch (io.status) {
    case Stream::Io::Status::done:
      return {ReadResult::Status::data, io.bytes};
    case Stream::Io::Status::would_block:
      return {ReadResult::Status::would_block, 0};
    default:
      return {ReadResult::Status::closed, 0};
  }
}

bool wait_for(int socket, Stream::Wait wait, std::chrono::milliseconds timeout) {
  pollfd ready{socket, static_cast<short>(wait == Stream::Wait::writable ? POLLOUT : POLLIN), 0};
  return ::poll(&ready, 1, static_cast<int>(timeout.count())) >= 0 || errno == EINTR;
}

}  // namespace lochat::tls
