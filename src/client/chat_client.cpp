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

ChatClient::~ChatClient() {
  close();
}

bool ChatClient::send_line(std::string_view text) {
  std::string line;
  line.reserve(text.size() + 1);
  line.append(text).push_back('\n');
  std::lock_guard lock(send_mutex_);
  return send_all(socket_, line, std::chrono::steady_clock::now() + kSendPatience);
}

void ChatClient::finish_sending() {
  std::lock_guard lock(send_mutex_);
  ::shutdown(socket_.get(), SHUT_WR);
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

bool ChatClient::more_within_quiet_gap(const LineFramer& framer,
                                       bool lines_end_with_newline) const {
  if (lines_end_with_newline || framer.pending() == 0) return true;
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
    const auto result = receive_some(socket_, buffer);
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
