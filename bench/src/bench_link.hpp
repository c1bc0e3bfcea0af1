#pragma once

// One bench client's connection, internal to lochat-bench: plain bytes on a
// non-blocking socket, or TLS over it (--tls, through lochat::net's
// tls::Stream). It owns the socket and, for TLS, the stream.
//
// Threads: the receiving thread connects, handshakes and reads; the sending
// thread writes (and the receiving thread once, for the roll call, before the
// sending thread starts). A plain socket's two directions need no lock. A
// TLS stream is one OpenSSL SSL object, which two threads must never use at
// once: mutex_ guards tls_ and every call on it (uncontended but for the
// moment both threads want the same client).
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>

#include "lochat/net/socket.hpp"
#include "lochat/net/tls.hpp"

namespace lochat::bench {

class Link {
 public:
  explicit Link(FileDescriptor socket) : socket_(std::move(socket)) {}

  // Receiving thread, once the TCP connection is up: from here on the link speaks TLS.
  void start_tls(const tls::Context& context);
  [[nodiscard]] bool encrypted() const { return encrypted_; }

  // Receiving thread: one step of the TLS handshake (see tls::Stream::handshake).
  tls::Stream::Io handshake();

  // Receiving thread: what the server sent, decrypted for TLS.
  ReadResult read(std::span<char> buffer);

  struct Written {
    enum class Status { done, would_block, failed };
    Status status = Status::failed;
    std::size_t bytes = 0;
  };
  // Writes a prefix of `bytes`: one send(), or for TLS one SSL_write (one
  // record for up to 16 KiB). After would_block the next call must start
  // with the same bytes (OpenSSL's rule for a retried write).
  Written write(std::string_view bytes);

  [[nodiscard]] int fd() const { return socket_.get(); }
  [[nodiscard]] const FileDescriptor& socket() const { return socket_; }

 private:
  FileDescriptor socket_;
  bool encrypted_ = false;  // set before the sending thread starts, read-only then
  std::mutex mutex_;        // guards tls_ and every call on it
  std::unique_ptr<tls::Stream> tls_;
};

// Writes all of `bytes` before `deadline` (waiting for the socket as needed); false if it could
// not.
bool write_all(Link& link, std::string_view bytes, std::chrono::steady_clock::time_point deadline);

}  // namespace lochat::bench
