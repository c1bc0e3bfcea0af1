#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "lochat/net/socket.hpp"

// TLS over a socket, with OpenSSL kept out of every other header: a Context
// (the settings and, for a server, its certificate) shared by all
// connections, and one Stream per connection.
//
// Threads: a Context is immutable once made and may be shared by any number
// of threads. A Stream wraps one OpenSSL SSL object, which is not
// thread-safe: exactly one thread at a time may call a Stream's methods. The
// server uses a session's Stream under its connection's write lock alone
// (connection.hpp), and a refused newcomer's on the TlsRefusals thread alone
// (tls_refusals.hpp); the client serialises its two threads with a mutex
// (chat_client.hpp).
// No locks here.
struct ssl_ctx_st;
struct ssl_st;

namespace lochat::tls {

// Settings for both sides: TLS 1.2 at least (1.3 preferred, as OpenSSL
// does), no compression, no renegotiation, AEAD ciphers with forward secrecy.
class Context {
 public:
  // A server presenting the certificate (PEM) with its private key; a
  // NetError says which file could not be used and why.
  static Context server(const std::string& certificate_file, const std::string& key_file);
  // A client: it verifies nothing itself; the caller pins the fingerprint.
  static Context client();
  // A client that presents its own certificate and key (PEM): its key is
  // how the server tells it from others (names owned by keys).
  static Context client(const std::string& certificate_file, const std::string& key_file);

  [[nodiscard]] ssl_ctx_st* get() const { return context_.get(); }
  // The SHA-256 fingerprint ("AB:CD:...") of the certificate this side
  // presents; "" for a client that presents none.
  [[nodiscard]] const std::string& fingerprint() const { return fingerprint_; }

 private:
  struct Free {
    void operator()(ssl_ctx_st* context) const;
  };
  explicit Context(ssl_ctx_st* context) : context_(context, Free{}) {}

  std::shared_ptr<ssl_ctx_st> context_;
  std::string fingerprint_;
};

// What a Stream's OpenSSL object reads and writes through (tls.cpp's socket
// BIO): the socket, and what the peer's first bytes were, peeked before
// OpenSSL reads any so that bytes that are no TLS stay unread in the socket.
struct Wire {
  enum class First { unheard, tls, not_tls };
  int socket;
  bool accepting;  // the peer is a client, which opens with a handshake record
  First first = First::unheard;
};

// One TLS connection over a non-blocking socket descriptor it does not own.
// Every call is one non-blocking step: `wait` says what the socket must
// become before the call is worth repeating.
class Stream {
 public:
  enum class Role { accept, connect };
  Stream(const Context& context, int socket, Role role);
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  enum class Wait { nothing, readable, writable };
  struct Io {
    // not_tls: the peer's first bytes are no TLS (strangers.hpp): from a
    // client, no handshake record; from a server, neither a handshake nor an
    // alert record. They are left unread in the socket.
    enum class Status { done, would_block, closed, failed, not_tls };
    Status status = Status::failed;
    std::size_t bytes = 0;
    Wait wait = Wait::nothing;
  };

  // Says not_tls as soon as the peer's first bytes are no TLS: someone typing
  // at a TLS port is told so at once, not at the deadline, and a server that
  // answers in clear is not taken for a TLS failure.
  Io handshake();
  // Accepting side: whether the client has sent its first bytes (which opened a TLS handshake).
  [[nodiscard]] bool heard_from_client() const { return wire_.first == Wire::First::tls; }
  // Connecting side: whether the server answered with no TLS (its bytes wait
  // unread in the socket, for the caller to read in clear).
  [[nodiscard]] bool answered_in_clear() const { return wire_.first == Wire::First::not_tls; }
  // Repeats handshake() until done, failed or `deadline` passes; true when done.
  bool handshake_until(std::chrono::steady_clock::time_point deadline);
  // Decrypted bytes into `buffer`; closed on the peer's close_notify or end of stream.
  Io read(std::span<char> buffer);
  // Writes a prefix of `bytes` (at least one record's worth when it can).
  // After would_block, the next call must start with the same bytes (it may
  // pass more after them), as OpenSSL requires of a retried write.
  Io write(std::string_view bytes);
  // Bytes already decrypted and waiting in OpenSSL: they do not make the
  // socket readable, so a caller checks this before it sleeps in poll.
  [[nodiscard]] std::size_t buffered() const;
  // Sends close_notify (best effort, once): the peer reads a clean end.
  void close_notify();
  // The SHA-256 fingerprint of the certificate the peer presented; "" if none.
  [[nodiscard]] std::string peer_fingerprint() const;

 private:
  // What an SSL_read_ex or SSL_write_ex that moved `bytes` returned.
  Io outcome(int returned, std::size_t bytes);
  Io result_of(int returned);

  // Counts the calls on ssl_, written by each: OpenSSL is not instrumented,
  // so this is what lets ThreadSanitizer see two threads use one Stream
  // with nothing ordering them.
  void note_call() const { ++calls_; }

  ssl_st* ssl_;
  Wire wire_;  // the BIO's data: a Stream is never moved
  bool close_notified_ = false;
  mutable std::size_t calls_ = 0;
};

// A read's outcome as a plain socket's: data, would_block, or closed (a failure too).
ReadResult as_read_result(const Stream::Io& io);

// Sleeps in poll until `socket` is as `wait` says or `timeout` passes; false on a poll error.
bool wait_for(int socket, Stream::Wait wait, std::chrono::milliseconds timeout);

}  // namespace lochat::tls
