#include "bench_link.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>

namespace lochat::bench {

void Link::start_tls(const tls::Context& context) {
  const std::lock_guard lock(mutex_);
  tls_ = std::make_unique<tls::Stream>(context, socket_.get(), tls::Stream::Role::connect);
  encrypted_ = true;
}

tls::Stream::Io Link::handshake() {
  const std::lock_guard lock(mutex_);
  return tls_->handshake();
}

ReadResult Link::read(std::span<char> buffer) {
  if (!encrypted_) return receive_some(socket_, buffer);
  // One record at most (OpenSSL reads no further ahead than the record it
  // decrypts, and a record fits the buffer): the rest stays in the socket,
  // which epoll reports again, so nothing waits unseen inside OpenSSL.
  const std::lock_guard lock(mutex_);
  return tls::as_read_result(tls_->read(buffer));
}

Link::Written Link::write(std::string_view bytes) {
  if (!encrypted_) {
    while (true) {
      const auto sent = ::send(socket_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (sent >= 0) return {Written::Status::done, static_cast<std::size_t>(sent)};
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return {Written::Status::would_block, 0};
      return {Written::Status::failed, 0};
    }
  }
  // (A TLS write that wants to read first, which renegotiation being off
  // leaves to a key update nobody sends, reads as would_block: the sender
  // retries when the socket is writable, as for a full socket.)
  const std::lock_guard lock(mutex_);
  const auto io = tls_->write(bytes);
  switch (io.status) {
    case tls::Stream::Io::Status::done:
      return {Written::Status::done, io.bytes};
    case tls::Stream::Io::Status::would_block:
      return {Written::Status::would_block, 0};
    default:
      return {Written::Status::failed, 0};
  }
}

bool write_all(Link& link, std::string_view bytes, std::chrono::steady_clock::time_point deadline) {
  while (!bytes.empty()) {
    const auto written = link.write(bytes);
    if (written.status == Link::Written::Status::failed) return false;
    bytes.remove_prefix(written.bytes);
    if (written.status == Link::Written::Status::done) continue;
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd writable{link.fd(), POLLOUT, 0};
    if (left.count() <= 0 || ::poll(&writable, 1, static_cast<int>(left.count())) < 0) {
      return false;
    }
  }
  return true;
}

}  // namespace lochat::bench
