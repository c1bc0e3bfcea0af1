#include "lochat/session.hpp"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <utility>

#include "lochat/protocol.hpp"

namespace lochat {

namespace {

// Small enough that ten thousand idle threads stay cheap, large enough to take
// a pasted paragraph in one read.
constexpr std::size_t kReadChunk = 16 * 1024;
// Reads per wake-up before the session writes again, so one flooding client
// cannot starve its own outbound queue.
constexpr int kReadsPerWake = 4;
constexpr std::size_t kMaxIovecs = 64;

// Lines of input discarded before closing, bounded so a flooding client cannot stall its own close.
constexpr int kDiscardReadsBeforeClose = 16;

}  // namespace

std::span<const Session::Command> Session::command_table() {
  static const std::array commands{
      Command{"help", "/help - list the commands", &Session::command_help},
      Command{"quit", "/quit [reason] - leave the chat", &Session::command_quit},
  };
  return commands;
}

Session::Session(FileDescriptor socket, Endpoint peer, Hub& hub, SessionConfig config,
                 FinishedHandler on_finished)
    : socket_(std::move(socket)),
      peer_(std::move(peer)),
      name_(peer_.to_string()),
      hub_(hub),
      config_(config),
      on_finished_(std::move(on_finished)),
      queue_(config.sendq_bytes),
      framer_(config.max_line) {}

void Session::run() {
  set_nonblocking(socket_);
  set_io_timeouts(socket_, config_.io_timeout);
  set_no_delay(socket_);
  set_keepalive(socket_);
  set_send_buffer(socket_, config_.socket_send_buffer);
  // Queued before joining the hub, so the greeting is always the first line.
  send_to_self(protocol::line(protocol::kWelcome));
  hub_.join(shared_from_this());
  spdlog::info("Connected to: {}, {} ({} online)", peer_.address, peer_.port, hub_.size());

  serve();

  hub_.leave(this);
  socket_.reset();
  spdlog::info("Disconnected: {}, {} ({} online)", peer_.address, peer_.port, hub_.size());
  finished_.store(true);
  on_finished_();
}

void Session::deliver(const SharedLine& line) {
  if (queue_.push(line) != OutboundQueue::PushResult::queued) wake_.notify();
}

void Session::request_stop() {
  queue_.push_unbounded(make_shared_line(protocol::notice(protocol::kShutdownNotice)));
  stop_requested_.store(true);
  wake_.notify();
}

void Session::serve() {
  while (!stop_requested_.load()) {
    std::array<pollfd, 2> watched{{
        {socket_.get(), static_cast<short>(POLLIN | (has_pending_output() ? POLLOUT : 0)), 0},
        {wake_.fd(), POLLIN, 0},
    }};
    if (::poll(watched.data(), watched.size(), static_cast<int>(config_.io_timeout.count())) < 0 &&
        errno != EINTR) {
      return;
    }
    if (watched[1].revents != 0) wake_.drain();
    if ((watched[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0 &&
        read_available() == Step::close) {
      flush_before_close();
      return;
    }
    if (write_pending() == Step::close) return;
    if (quit_requested_) {
      flush_before_close();
      return;
    }
  }
  flush_before_close();
}

Session::Step Session::read_available() {
  std::array<char, kReadChunk> buffer;
  for (int read = 0; read < kReadsPerWake && !quit_requested_; ++read) {
    const auto result = receive_some(socket_, buffer);
    if (result.status == ReadResult::Status::would_block) return Step::keep_going;
    if (result.status == ReadResult::Status::closed) return Step::close;
    framer_.feed(
        std::string_view(buffer.data(), result.bytes),
        [this](std::string_view line) {
          if (!quit_requested_) handle_line(line);
        },
        [this] {
          send_to_self(protocol::error("line too long (more than " +
                                       std::to_string(framer_.max_line()) +
                                       " bytes), not sent"));
        });
  }
  return Step::keep_going;
}

void Session::handle_line(std::string_view line) {
  const auto parsed = protocol::parse_client_line(line);
  switch (parsed.kind) {
    case protocol::ClientLine::Kind::empty:
      return;
    case protocol::ClientLine::Kind::command:
      handle_command(parsed.command, parsed.argument);
      return;
    case protocol::ClientLine::Kind::chat:
      spdlog::debug("{}: {}", name_, parsed.text);
      send_to_self(protocol::line(protocol::kAck));
      hub_.broadcast(make_shared_line(protocol::relay(name_, parsed.text)), this);
      return;
  }
}

void Session::handle_command(std::string_view command, std::string_view argument) {
  const auto table = command_table();
  const auto entry = std::find_if(table.begin(), table.end(),
                                   [command](const Command& known) { return known.name == command; });
  if (entry == table.end()) {
    send_to_self(protocol::error("unknown command /" + std::string(command) + " (try /help)"));
    return;
  }
  (this->*(entry->handler))(argument);
}

void Session::command_help(std::string_view /*argument*/) {
  for (const auto& entry : command_table()) send_to_self(protocol::notice(entry.usage));
}

void Session::command_quit(std::string_view reason) {
  send_to_self(protocol::notice("Goodbye (" + std::string(reason.empty() ? "Bye" : reason) + ")"));
  quit_requested_ = true;
}

void Session::send_to_self(std::string text) {
  // Replies to the client's own lines are never dropped: their volume is
  // bounded by what the client itself sends and reads.
  queue_.push_unbounded(make_shared_line(std::move(text)));
}

bool Session::has_pending_output() const { return !writing_.empty() || !queue_.empty(); }

Session::Step Session::write_pending() {
  queue_.take_all(writing_);
  while (!writing_.empty()) {
    std::array<iovec, kMaxIovecs> pieces{};
    std::size_t count = 0;
    for (const auto& line : writing_) {
      if (count == pieces.size()) break;
      const std::size_t skip = count == 0 ? written_of_front_ : 0;
      pieces[count++] = {const_cast<char*>(line->data() + skip), line->size() - skip};
    }
    msghdr message{};
    message.msg_iov = pieces.data();
    message.msg_iovlen = count;
    const auto sent = ::sendmsg(socket_.get(), &message, MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      return Step::close;
    }
    auto remaining = static_cast<std::size_t>(sent);
    queue_.release(remaining);
    while (remaining > 0) {
      const std::size_t left_in_front = writing_.front()->size() - written_of_front_;
      const std::size_t used = std::min(left_in_front, remaining);
      remaining -= used;
      written_of_front_ += used;
      if (written_of_front_ == writing_.front()->size()) {
        writing_.pop_front();
        written_of_front_ = 0;
      }
    }
  }
  if (queue_.overflowed()) {
    spdlog::warn("Disconnecting {}: send queue full (over {} bytes unread)", name_,
                 config_.sendq_bytes);
    hub_.broadcast(make_shared_line(protocol::notice(
                       name_ + " was disconnected: not reading fast enough")),
                   this);
    return Step::close;
  }
  return Step::keep_going;
}

void Session::flush_before_close() {
  const auto deadline = std::chrono::steady_clock::now() + config_.linger;
  while (write_pending() == Step::keep_going && has_pending_output()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd writable{socket_.get(), POLLOUT, 0};
    if (::poll(&writable, 1, static_cast<int>(left.count())) <= 0) break;
  }
  // Half-close, then discard unread input: closing with unread bytes would
  // send a reset, and the client could lose the lines we just flushed.
  ::shutdown(socket_.get(), SHUT_WR);
  std::array<char, 4096> discard;
  for (int read = 0; read < kDiscardReadsBeforeClose &&
                     receive_some(socket_, discard).status == ReadResult::Status::data;
       ++read) {
  }
}

}  // namespace lochat
