#include "lochat/client/chat_client.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <utility>

#include "lochat/wire/framing.hpp"
#include "lochat/wire/server_line.hpp"

namespace lochat {

namespace {

// How often the receive thread looks up from a blocked recv() to see whether we are closing.
constexpr std::chrono::milliseconds kReceiveTimeout{1000};
constexpr std::chrono::seconds kSendPatience{5};
// The client accepts longer lines than the server sends, so nothing legitimate is dropped.
constexpr std::size_t kClientMaxLine = 64 * 1024;
// A server that does not end its lines: what it sent is a line once this much
// silence follows. Its one send() arrives whole on a LAN well within it.
constexpr int kQuietGapMs = 200;

}  // namespace

ChatClient::ChatClient(const std::string& host, std::uint16_t port, Callbacks callbacks)
    : socket_(connect_tcp(host, port)), callbacks_(std::move(callbacks)) {
  set_io_timeouts(socket_, kReceiveTimeout);
  receiver_ = std::thread([this] { receive_loop(); });
}

ChatClient::ChatClient(FileDescriptor socket, std::unique_ptr<tls::Stream> tls, Callbacks callbacks)
    : socket_(std::move(socket)), tls_(std::move(tls)), callbacks_(std::move(callbacks)) {
  receiver_ = std::thread([this] { receive_loop(); });
}

ChatClient::~ChatClient() {
  close();
}

bool ChatClient::send_line(std::string_view text) {
  std::string line;
  line.reserve(text.size() + 1);
  line.append(text).push_back('\n');
  std::lock_guard lock(send_mutex_);
  if (tls_) return send_tls(line);
  return send_all(socket_, line, std::chrono::steady_clock::now() + kSendPatience);
}

void ChatClient::finish_sending() {
  std::lock_guard lock(send_mutex_);
  if (tls_) {
    // TLS's half-close: the server still answers until it closes in turn.
    std::lock_guard tls_lock(tls_mutex_);
    tls_->close_notify();
    return;
  }
  ::shutdown(socket_.get(), SHUT_WR);
}

// Under send_mutex_. Each SSL call under tls_mutex_; waits without it.
bool ChatClient::send_tls(std::string_view bytes) {
  const auto deadline = std::chrono::steady_clock::now() + kSendPatience;
  while (!bytes.empty()) {
    tls::Stream::Io io;
    {
      std::lock_guard lock(tls_mutex_);
      io = tls_->write(bytes);
    }
    if (io.status == tls::Stream::Io::Status::done) {
      bytes.remove_prefix(io.bytes);
      continue;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (io.status != tls::Stream::Io::Status::would_block || left.count() <= 0) return false;
    tls::wait_for(socket_.get(), io.wait, left);
  }
  return true;
}

// Reads until OpenSSL has nothing decrypted left, so a poll never sleeps on
// bytes it already holds; waits (without the lock) only when it has none.
ReadResult ChatClient::receive_tls(std::span<char> buffer) {
  tls::Stream::Io io;
  {
    std::lock_guard lock(tls_mutex_);
    io = tls_->read(buffer);
  }
  if (io.status == tls::Stream::Io::Status::done) return {ReadResult::Status::data, io.bytes};
  if (io.status != tls::Stream::Io::Status::would_block) return {ReadResult::Status::closed, 0};
  tls::wait_for(socket_.get(), io.wait, kReceiveTimeout);
  return {ReadResult::Status::would_block, 0};
}

bool ChatClient::wait_closed(std::chrono::milliseconds timeout) {
  std::unique_lock lock(closed_mutex_);
  return closed_changed_.wait_for(lock, timeout, [this] { return closed_; });
}

void ChatClient::close() {
  closing_.store(true);
  ::shutdown(socket_.get(), SHUT_RDWR);
  // A callback may close the client; the receive thread cannot join itself.
  if (receiver_.joinable() && receiver_.get_id() != std::this_thread::get_id()) receiver_.join();
}

bool ChatClient::more_within_quiet_gap(const LineFramer& framer, bool lines_end_with_newline) {
  if (lines_end_with_newline || framer.pending() == 0) return true;
  if (tls_) {
    // Bytes OpenSSL holds decrypted do not make the socket readable.
    std::lock_guard lock(tls_mutex_);
    if (tls_->buffered() > 0) return true;
  }
  pollfd watched{socket_.get(), POLLIN, 0};
  return ::poll(&watched, 1, kQuietGapMs) != 0;
}

void ChatClient::receive_loop() {
  LineFramer framer(kClientMaxLine);
  std::array<char, 16 * 1024> buffer;
  bool lines_end_with_newline = false;  // a lochat-server has described itself
  const auto on_line = [&](std::string_view line) {
    lines_end_with_newline = lines_end_with_newline || protocol::describe(line).has_value();
    callbacks_.on_line(line);
  };
  while (!closing_.load()) {
    if (!more_within_quiet_gap(framer, lines_end_with_newline)) {
      framer.finish(on_line, [] {});
      continue;
    }
    const auto result = tls_ ? receive_tls(buffer) : receive_some(socket_, buffer);
    if (result.status == ReadResult::Status::would_block) continue;
    if (result.status == ReadResult::Status::closed) break;
    framer.feed(std::string_view(buffer.data(), result.bytes), on_line, [] {});
  }
  // The callback runs first, so whoever wait_closed() wakes sees its effects.
  if (callbacks_.on_closed) callbacks_.on_closed(!closing_.load());
  {
    std::lock_guard lock(closed_mutex_);
    closed_ = true;
  }
  closed_changed_.notify_all();
}

}  // namespace lochat
