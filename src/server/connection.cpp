#include "lochat/server/connection.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <utility>

namespace lochat {

namespace {

constexpr std::size_t kMaxIovecs = 64;
// Times a delivering thread writes again for lines others queued meanwhile,
// before it hands the rest to the owner's thread.
constexpr int kFlushRounds = 4;
// Queued bytes from which a delivery is written at once, window or not.
constexpr std::size_t kCoalesceBytes = 32 * 1024;
// A TLS client written to this recently is taken to be in a busy room:
// another sender's delivery waits for the scheduler's flush (at most one
// window), so what arrives meanwhile goes out in one record, not a record
// (and a decryption by the client) per line. Measured in A/B series against
// the plain window (2 ms): 0.64 -> 0.85x of plain at 50 clients, 0.70 -> 0.82x at 200.
constexpr std::chrono::milliseconds kTlsBusyHorizon{10};
// Line slots kept for the next burst; more are released once written.
constexpr std::size_t kKeptLineSlots = 256;
// The most TLS puts in one record: what waits for a client is gathered into
// records this large, as plain writes gather it into one sendmsg.
constexpr std::size_t kTlsRecordBytes = 16 * 1024;

}  // namespace

Connection::Connection(FileDescriptor socket, Limits limits, SignalWake& owner_wake,
                       const tls::Context* tls)
    : socket_(std::move(socket)),
      tls_(tls != nullptr
               ? std::make_unique<tls::Stream>(*tls, socket_.get(), tls::Stream::Role::accept)
               : nullptr),
      encrypted_(tls != nullptr),
      queue_(limits.sendq_bytes, limits.budget),
      limits_(limits),
      owner_wake_(owner_wake) {}

Connection::Start Connection::prepare_socket(std::chrono::milliseconds io_timeout,
                                             int send_buffer_bytes) {
  set_nonblocking(socket_);
  set_io_timeouts(socket_, io_timeout);
  set_no_delay(socket_);
  set_keepalive(socket_);
  set_send_buffer(socket_, send_buffer_bytes);
  return tls_ ? handshake() : Start::ready;
}

Connection::Start Connection::handshake() {
  const auto deadline = std::chrono::steady_clock::now() + kTlsHandshakeTime;
  for (auto step = handshake_step(); step.status != tls::Stream::Io::Status::done;
       step = handshake_step()) {
    if (step.status == tls::Stream::Io::Status::not_tls) return Start::not_tls;
    const auto events = step.wait == tls::Stream::Wait::writable ? POLLOUT : POLLIN;
    std::array<pollfd, 1> watched{{{socket_.get(), static_cast<short>(events), 0}}};
    // Before the session joins the room only the server's stop wakes this
    // thread: a wake-up (or the deadline) ends the handshake.
    if (step.status != tls::Stream::Io::Status::would_block) return Start::failed;
    if (owner_wake_.wait(watched, deadline - std::chrono::steady_clock::now()) > 0) continue;
    const bool timed_out = std::chrono::steady_clock::now() >= deadline;
    return timed_out && !tls_->heard_from_client() ? Start::silent : Start::failed;
  }
  const std::lock_guard lock(write_mutex_);
  client_key_ = tls_->peer_fingerprint();
  return Start::ready;
}

// Nobody else can write before the client joins the room, but the lock keeps
// the rule simple: every use of the SSL object is under write_mutex_.
tls::Stream::Io Connection::handshake_step() {
  const std::lock_guard lock(write_mutex_);
  return tls_->handshake();
}

// A TLS read gives one record at most: a client that writes a line per
// record (as TLS chat clients do) would cost a read, and a broadcast, per
// line. So this takes every record that has arrived, up to the buffer's
// size, as recv() takes every line in clear.
ReadResult Connection::read_some(std::span<char> buffer) {
  if (!tls_) return receive_some(socket_, buffer);
  const std::lock_guard lock(write_mutex_);
  std::size_t got = 0;
  tls::Stream::Io io;
  do {
    io = tls_->read(buffer.subspan(got));
    if (io.status == tls::Stream::Io::Status::done) got += io.bytes;
  } while (io.status == tls::Stream::Io::Status::done && got < buffer.size());
  read_waits_writable_ = io.wait == tls::Stream::Wait::writable;
  // Only a read changes what is decrypted and waiting, so the owner may keep this count.
  buffered_input_ = tls_->buffered();
  // What ended the loop after some data (a close, a full socket) is met again by the next read.
  if (got > 0) return {ReadResult::Status::data, got};
  return tls::as_read_result(io);
}

bool Connection::input_ready(short revents) const {
  if (read_waits_writable_) return (revents & (POLLOUT | POLLHUP | POLLERR)) != 0;
  if ((revents & (POLLIN | POLLHUP | POLLERR)) != 0) return true;
  return has_buffered_input();
}

Participant::Delivery Connection::deliver(std::span<const SharedLine> lines,
                                          const Participant* from, Audience audience) {
  const auto pushed =
      audience == Audience::many ? queue_.push_shared(lines) : queue_.push_own_lines(lines);
  if (pushed == OutboundQueue::PushResult::overflow) {
    owner_wake_.notify();  // the owner's thread disconnects the client
    return Delivery::done;
  }
  // A full socket is the owner's to drain (it waits for POLLOUT).
  if (output_blocked_.load()) return Delivery::done;
  // Lines from the sender just written to gain nothing by waiting: its
  // lines of one read already go out together.
  const bool other_sender = last_sender_.exchange(from) != from;
  // A queue this full already makes one large write: holding it longer only adds latency.
  const bool worth_holding = queue_.bytes() < kCoalesceBytes;
  if (other_sender && worth_holding && written_lately(std::chrono::steady_clock::now())) {
    return Delivery::held_back;
  }
  write_now_or_hand_over();
  return Delivery::done;
}

void Connection::flush_held() {
  if (!output_blocked_.load() && !queue_.empty()) write_now_or_hand_over();
}

void Connection::evict() {
  queue_.evict();
  owner_wake_.notify();
}

void Connection::kick(std::string reason) {
  {
    std::lock_guard lock(kick_mutex_);
    kick_reason_ = std::move(reason);
  }
  owner_wake_.notify();
}

std::optional<std::string> Connection::take_kick() {
  std::lock_guard lock(kick_mutex_);
  return std::exchange(kick_reason_, std::nullopt);
}

void Connection::queue_own_line(SharedLine line) {
  // These count in full: a client that sends and never reads its answers
  // fills its own queue and is disconnected.
  if (queue_.push_own(std::move(line)) == OutboundQueue::PushResult::overflow) {
    owner_wake_.notify();
  }
}

void Connection::queue_own_line(std::string line) {
  queue_own_line(make_shared_line(std::move(line)));
}

void Connection::write_now_or_hand_over() {
  if (write_queue(WriterWait::skip_if_busy) != Flush::done) owner_wake_.notify();
}

Connection::Health Connection::write_due() {
  if (!own_lines_wait()) {
    own_lines_due_ = {};
    output_blocked_.store(false);  // this thread looks for itself whether the socket takes more
    if (write_queue(WriterWait::wait) == Flush::failed) return Health::failed;
  }
  if (output_failed_.load()) return Health::failed;
  return queue_health();
}

Connection::Health Connection::queue_health() const {
  switch (queue_.overflow()) {
    case OutboundQueue::Overflow::own_limit:
      return Health::overflowed;
    case OutboundQueue::Overflow::evicted:
      return Health::evicted;
    case OutboundQueue::Overflow::none:
      break;
  }
  // Nothing written yet (not even the greeting) is a socket still starting, not a stall.
  const bool ever_written = last_write_.load() != std::chrono::steady_clock::duration{};
  const bool stalled = ever_written && output_blocked_.load() && has_queued() && !closing_ &&
                       std::chrono::steady_clock::now() >= stalled_at();
  return stalled ? Health::stalled : Health::open;
}

std::chrono::steady_clock::time_point Connection::stalled_at() const {
  return std::chrono::steady_clock::time_point(last_write_.load()) + limits_.sendq_timeout;
}

Connection::DropReason Connection::drop_reason(Health why) const {
  switch (why) {
    case Health::stalled:
      return {fmt::format(
                  "nothing read for {} s with lines waiting",
                  std::chrono::duration_cast<std::chrono::seconds>(limits_.sendq_timeout).count()),
              "not reading"};
    case Health::evicted:
      return {"furthest behind while the server's queues were full",
              "too far behind while the server was busy"};
    default:
      return {fmt::format("send queue full (over {} bytes for it alone)", limits_.sendq_bytes),
              "not reading fast enough"};
  }
}

bool Connection::waits_for_socket() const {
  return (has_queued() && own_lines_due_ == std::chrono::steady_clock::time_point{}) ||
         read_waits_writable_;
}

std::optional<std::chrono::steady_clock::time_point> Connection::own_lines_due() const {
  if (own_lines_due_ == std::chrono::steady_clock::time_point{}) return std::nullopt;
  return own_lines_due_;
}

bool Connection::written_lately(std::chrono::steady_clock::time_point now) const {
  return now.time_since_epoch() - last_write_.load() <
         (encrypted_ ? kTlsBusyHorizon : kCoalesceWindow);
}

// The owner's own lines (replies, and what others queued) also wait for the
// end of a running coalescing window, unless the socket is full or closing.
bool Connection::own_lines_wait() {
  if (closing_ || output_blocked_.load() || queue_.empty()) return false;
  const std::chrono::steady_clock::time_point window_end(last_write_.load() + kCoalesceWindow);
  if (std::chrono::steady_clock::now() >= window_end) return false;
  own_lines_due_ = window_end;
  return true;
}

Connection::Flush Connection::write_queue(WriterWait wait) {
  for (int round = 0; round < kFlushRounds; ++round) {
    std::unique_lock lock(write_mutex_, std::defer_lock);
    if (wait == WriterWait::wait) {
      lock.lock();
    } else if (!lock.try_lock()) {
      return Flush::done;  // the holder looks at the queue again after unlocking
    }
    const Flush result = write_taken_locked();
    lock.unlock();
    // Lines pushed while the lock was held may have found it taken.
    if (result != Flush::done || queue_.empty()) return result;
  }
  return Flush::pending;  // others keep adding: the owner's thread takes over
}

Connection::Flush Connection::write_taken_locked() {
  if (!socket_.valid()) return Flush::failed;
  if (tls_) return write_taken_tls_locked();
  queue_.take_all(writing_);
  while (writing_front_ < writing_.size()) {
    std::array<iovec, kMaxIovecs> pieces{};
    std::size_t count = 0;
    for (std::size_t index = writing_front_; index < writing_.size() && count < pieces.size();
         ++index) {
      const auto& line = writing_[index];
      const std::size_t skip = count == 0 ? written_of_front_ : 0;
      pieces[count++] = {const_cast<char*>(line.line->data() + skip), line.line->size() - skip};
    }
    msghdr message{};
    message.msg_iov = pieces.data();
    message.msg_iovlen = count;
    const auto sent = ::sendmsg(socket_.get(), &message, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        output_blocked_.store(true);
        return Flush::pending;
      }
      output_failed_.store(true);
      return Flush::failed;
    }
    last_write_.store(std::chrono::steady_clock::now().time_since_epoch());
    advance_written(static_cast<std::size_t>(sent));
  }
  release_written_slots();
  return Flush::done;
}

// Under the lock: the same as write_taken_locked, in records of up to kTlsRecordBytes.
Connection::Flush Connection::write_taken_tls_locked() {
  queue_.take_all(writing_);
  while (!record_.empty() || writing_front_ < writing_.size()) {
    if (record_.empty()) gather_record();
    const auto io = tls_->write(record_);
    if (io.status == tls::Stream::Io::Status::would_block) {
      output_blocked_.store(true);
      return Flush::pending;
    }
    if (io.status != tls::Stream::Io::Status::done) {
      output_failed_.store(true);
      return Flush::failed;
    }
    last_write_.store(std::chrono::steady_clock::now().time_since_epoch());
    record_.erase(0, io.bytes);
    advance_written(io.bytes);
  }
  release_written_slots();
  return Flush::done;
}

// Copies what is not yet written, from the front, up to one record.
void Connection::gather_record() {
  std::size_t skip = written_of_front_;
  for (std::size_t index = writing_front_;
       index < writing_.size() && record_.size() < kTlsRecordBytes; ++index) {
    const std::string_view line = *writing_[index].line;
    record_.append(line.substr(skip, kTlsRecordBytes - record_.size()));
    skip = 0;
  }
}

void Connection::release_written_slots() {
  // All written: start over, and after a burst give its slots back rather
  // than hold them while idle.
  if (writing_.capacity() > kKeptLineSlots) {
    writing_ = {};
  } else {
    writing_.clear();
  }
  writing_front_ = 0;
}

// Drops fully written lines (and the SharedLine references) from the front,
// and gives the queue back their bytes and charges.
void Connection::advance_written(std::size_t bytes) {
  const std::size_t written = bytes;
  std::size_t charges = 0;
  while (bytes > 0) {
    auto& front = writing_[writing_front_];
    const std::size_t used = std::min(front.line->size() - written_of_front_, bytes);
    bytes -= used;
    written_of_front_ += used;
    if (written_of_front_ == front.line->size()) {
      charges += front.charge;
      front.line.reset();
      ++writing_front_;
      written_of_front_ = 0;
    }
  }
  queue_.release(written, charges);
}

Connection::Health Connection::drain_and_half_close(
    std::chrono::steady_clock::time_point deadline) {
  Health health = Health::open;
  while ((health = write_due()) == Health::open && has_queued()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd writable{socket_.get(), POLLOUT, 0};
    if (::poll(&writable, 1, static_cast<int>(left.count())) <= 0) break;
  }
  // Half-close, then discard unread input: closing with unread bytes would
  // send a reset, and the client could lose the lines we just flushed.
  if (tls_) {
    const std::lock_guard lock(write_mutex_);
    tls_->close_notify();
  }
  ::shutdown(socket_.get(), SHUT_WR);
  std::array<char, 4096> discard;
  for (int read = 0; read < kDiscardReadsBeforeClose &&
                     receive_some(socket_, discard).status == ReadResult::Status::data;
       ++read) {
  }
  return health;
}

void Connection::close() {
  const std::lock_guard lock(write_mutex_);
  tls_.reset();
  socket_.reset();
}

}  // namespace lochat
