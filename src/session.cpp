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
#include "lochat/text.hpp"

namespace lochat {

namespace {

// Small enough that ten thousand idle threads stay cheap, large enough to take
// a pasted paragraph in one read.
constexpr std::size_t kReadChunk = 16 * 1024;
// Reads per wake-up before the session writes again, so one flooding client
// cannot starve its own outbound queue.
constexpr int kReadsPerWake = 4;
constexpr std::size_t kMaxIovecs = 64;
// Times a delivering thread writes again for lines others queued meanwhile,
// before it hands the rest to the recipient's own thread.
constexpr int kFlushRounds = 4;
constexpr std::chrono::milliseconds kQuietWait{5000};
// Queued bytes from which a delivery is written at once, window or not.
constexpr std::size_t kCoalesceBytes = 32 * 1024;
// Held-back recipients listed before the list is first cleared of duplicates.
constexpr std::size_t kDedupeHeldBackAt = 256;
// Line slots a session keeps for its next burst; more are released once written.
constexpr std::size_t kKeptLineSlots = 256;
// Reads of input discarded before closing, bounded so a flooding client cannot stall its own close.
constexpr int kDiscardReadsBeforeClose = 16;

std::pair<std::string_view, std::string_view> split_first_word(std::string_view text) {
  const auto end = text.find_first_of(" \t");
  if (end == std::string_view::npos) return {text, {}};
  auto rest = text.substr(end);
  rest.remove_prefix(std::min(rest.find_first_not_of(" \t"), rest.size()));
  return {text.substr(0, end), rest};
}

}  // namespace

std::span<const Session::Command> Session::command_table() {
  static const std::array commands{
      Command{"nick", "/nick NAME - change your name", &Session::command_nick},
      Command{"who", "/who - who is online, and for how long", &Session::command_who},
      Command{"msg", "/msg NAME text - a private message to NAME only", &Session::command_msg},
      Command{"me", "/me text - an action, shown as \"* you text\"", &Session::command_me},
      Command{"help", "/help - list the commands", &Session::command_help},
      Command{"quit", "/quit [reason] - leave the chat", &Session::command_quit},
  };
  return commands;
}

Session::Session(FileDescriptor socket, Endpoint peer, Hub& hub, History& history,
                 SessionConfig config, FinishedHandler on_finished)
    : socket_(std::move(socket)),
      peer_(std::move(peer)),
      hub_(hub),
      history_(history),
      config_(config),
      on_finished_(std::move(on_finished)),
      queue_(config.sendq_bytes),
      framer_(config.max_line),
      dedupe_held_back_at_(kDedupeHeldBackAt),
      name_(peer_.to_string()),
      bucket_(config.rate, static_cast<double>(config.burst), std::chrono::steady_clock::now()),
      last_input_(std::chrono::steady_clock::now()) {}

void Session::run() {
  wake_.attach();
  set_nonblocking(socket_);
  set_io_timeouts(socket_, config_.io_timeout);
  set_no_delay(socket_);
  set_keepalive(socket_);
  set_send_buffer(socket_, config_.socket_send_buffer);
  greet();
  hub_.join(shared_from_this(), name_);
  announce_by_ = std::chrono::steady_clock::now() + config_.io_timeout;
  spdlog::info("Connected to: {}, {} ({} online)", peer_.address, peer_.port, hub_.size());

  serve();

  hub_.leave(this);
  if (!stop_requested_.load()) announce_departure();
  settle_held_back(std::chrono::steady_clock::time_point::max());
  close_socket();
  spdlog::info("Disconnected: {}, {} ({} online)", peer_.address, peer_.port, hub_.size());
  wake_.detach();
  finished_.store(true);
  on_finished_();
}

// Everything here is queued before the session joins the hub, so the greeting
// comes first and the replay holds only messages older than the newcomer.
void Session::greet() {
  send_to_self(protocol::line(protocol::kWelcome));
  std::vector<protocol::OnlineEntry> online;
  const auto now = std::chrono::steady_clock::now();
  for (const auto& member : hub_.members()) {
    online.push_back(
        {member.name, std::chrono::duration_cast<std::chrono::seconds>(now - member.joined)});
  }
  online.push_back({name_, std::chrono::seconds(0)});
  send_to_self(protocol::online_list(online));
  for (const auto& line : history_.recent()) queue_.push_unbounded(line);
}

Participant::Delivery Session::deliver(std::span<const SharedLine> lines, const Participant* from) {
  if (queue_.push_all(lines) == OutboundQueue::PushResult::overflow) {
    wake_.notify();  // the session's thread disconnects the client
    return Delivery::done;
  }
  // A full socket is the session thread's to drain (it waits for POLLOUT).
  if (output_blocked_.load()) return Delivery::done;
  // Lines from the sender just written to gain nothing by waiting: its
  // lines of one read already go out together.
  const bool other_sender = last_sender_.exchange(from) != from;
  // A queue this full already makes one large write: holding it longer only adds latency.
  const bool worth_holding = queue_.bytes() < kCoalesceBytes;
  if (other_sender && worth_holding && written_lately(std::chrono::steady_clock::now())) {
    return Delivery::held_back;
  }
  write_queued_now();
  return Delivery::done;
}

void Session::flush_held() {
  if (!output_blocked_.load() && !queue_.empty()) write_queued_now();
}

// From another thread: what the socket does not take now, the session's own
// thread writes when it is writable.
void Session::write_queued_now() {
  if (flush_output(WriterWait::skip_if_busy) != Flush::done) wake_.notify();
}

void Session::request_stop(std::chrono::steady_clock::time_point flush_until) {
  queue_.push_unbounded(make_shared_line(protocol::notice(protocol::kShutdownNotice)));
  stop_flush_until_.store(flush_until);
  stop_requested_.store(true);
  wake_.notify();
}

void Session::serve() {
  while (!stop_requested_.load()) {
    std::array<pollfd, 1> watched{{
        {socket_.get(), static_cast<short>(POLLIN | (output_waits_for_socket() ? POLLOUT : 0)), 0},
    }};
    if (wake_.wait(watched, poll_timeout()) < 0 && errno != EINTR) return;
    const bool peer_gone =
        (watched[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0 && read_available() == Step::close;
    handle_delayed_lines();
    send_published();
    settle_held_back(std::chrono::steady_clock::now());
    if (peer_gone) {
      flush_before_close();
      return;
    }
    if (!announced_ && std::chrono::steady_clock::now() >= announce_by_) announce();
    if (idle_too_long()) {
      disconnect_for("idle for more than " +
                     protocol::short_duration(
                         std::chrono::duration_cast<std::chrono::seconds>(config_.idle_timeout)));
    }
    if (write_pending() == Step::close) return;
    if (quit_requested_) {
      flush_before_close();
      return;
    }
  }
  flush_before_close();
}

bool Session::written_lately(std::chrono::steady_clock::time_point now) const {
  return now.time_since_epoch() - last_write_.load() < kCoalesceWindow;
}

// What others held back of this session's lines, once the window has passed
// (at once with `now` = time_point::max()).
void Session::settle_held_back(std::chrono::steady_clock::time_point now) {
  if (held_back_.empty() || now < settle_held_back_at_) return;
  for (const auto& recipient : held_back_) recipient->flush_held();
  held_back_.clear();
  dedupe_held_back_at_ = kDedupeHeldBackAt;
}

// Starts the window for lines others held back, unless one is running.
// Many broadcasts within one window (a burst of commands, with flood control
// off) add the same recipients again: duplicates are dropped whenever the
// list has doubled, so it stays near the number of recipients.
void Session::note_held_back(std::size_t held_before) {
  if (held_before == 0 && !held_back_.empty()) {
    settle_held_back_at_ = std::chrono::steady_clock::now() + kCoalesceWindow;
  }
  if (held_back_.size() < dedupe_held_back_at_) return;
  std::sort(held_back_.begin(), held_back_.end());
  held_back_.erase(std::unique(held_back_.begin(), held_back_.end()), held_back_.end());
  dedupe_held_back_at_ = std::max(kDedupeHeldBackAt, 2 * held_back_.size());
}

std::chrono::nanoseconds Session::poll_timeout() const {
  // Deliveries and shutdown wake the thread at once (ThreadWake), so once the
  // join is announced nothing needs a periodic look: an idle client's thread
  // then sleeps for kQuietWait, which keeps a server of idle clients idle.
  std::chrono::nanoseconds timeout = announced_ ? kQuietWait : config_.io_timeout;
  const auto now = std::chrono::steady_clock::now();
  if (own_write_at_ != std::chrono::steady_clock::time_point{}) {
    timeout = std::clamp<std::chrono::nanoseconds>(own_write_at_ - now, std::chrono::nanoseconds(0),
                                                   timeout);
  }
  if (!held_back_.empty()) {
    timeout = std::clamp<std::chrono::nanoseconds>(settle_held_back_at_ - now,
                                                   std::chrono::nanoseconds(0), timeout);
  }
  if (!delayed_lines_.empty()) {
    timeout = std::min<std::chrono::nanoseconds>(
        timeout, std::max(bucket_.wait_for_token(now), std::chrono::milliseconds(1)));
  }
  if (config_.idle_timeout.count() > 0) {
    const auto idle_left = std::chrono::duration_cast<std::chrono::milliseconds>(
        last_input_ + config_.idle_timeout - now);
    timeout = std::min<std::chrono::nanoseconds>(timeout,
                                                 std::max(idle_left, std::chrono::milliseconds(1)));
  }
  return timeout;
}

bool Session::idle_too_long() const {
  return config_.idle_timeout.count() > 0 && !quit_requested_ &&
         std::chrono::steady_clock::now() - last_input_ >= config_.idle_timeout;
}

// The client hears why in one error line; the others in one notice when it has gone.
void Session::disconnect_for(std::string reason) {
  spdlog::warn("Disconnecting {}: {}", name_, reason);
  send_to_self(protocol::error("disconnected: " + reason));
  kick_reason_ = std::move(reason);
  quit_requested_ = true;
  delayed_lines_.clear();
  delayed_bytes_ = 0;
}

Session::Step Session::read_available() {
  std::array<char, kReadChunk> buffer;
  for (int read = 0; read < kReadsPerWake && !quit_requested_ && !stop_requested_.load(); ++read) {
    const auto result = receive_some(socket_, buffer);
    if (result.status == ReadResult::Status::would_block) return Step::keep_going;
    if (result.status == ReadResult::Status::closed) return Step::close;
    last_input_ = std::chrono::steady_clock::now();
    framer_.feed(
        std::string_view(buffer.data(), result.bytes),
        [this](std::string_view line) {
          // At shutdown the rest of a large read is left unhandled, so stop is prompt.
          if (!quit_requested_ && !stop_requested_.load()) accept_line(line);
        },
        [this] {
          send_to_self(protocol::error("line too long (more than " +
                                       std::to_string(framer_.max_line()) + " bytes), not sent"));
        });
    send_published();
  }
  return Step::keep_going;
}

// Lines within the flood allowance are handled at once; the rest wait their turn.
void Session::accept_line(std::string_view line) {
  if (delayed_lines_.empty() && bucket_.try_take(std::chrono::steady_clock::now())) {
    handle_line(line);
    return;
  }
  delayed_lines_.emplace_back(line);
  delayed_bytes_ += line.size();
  if (delayed_lines_.size() > config_.flood_lines || delayed_bytes_ > kMaxDelayedBytes) {
    disconnect_for("flooding (more than " + std::to_string(config_.flood_lines) +
                   " lines waiting)");
  }
}

void Session::handle_delayed_lines() {
  while (!delayed_lines_.empty() && !quit_requested_ &&
         bucket_.try_take(std::chrono::steady_clock::now())) {
    const std::string line = std::move(delayed_lines_.front());
    delayed_lines_.pop_front();
    delayed_bytes_ -= line.size();
    handle_line(line);
  }
}

void Session::handle_line(std::string_view raw_line) {
  const std::string line = text::sanitize(raw_line);
  const auto parsed = protocol::parse_client_line(line);
  switch (parsed.kind) {
    case protocol::ClientLine::Kind::empty:
      return;
    case protocol::ClientLine::Kind::command:
      handle_command(parsed.command, parsed.argument);
      return;
    case protocol::ClientLine::Kind::chat:
      announce();
      spdlog::debug("{}: {}", name_, parsed.text);
      send_to_self(protocol::line(protocol::kAck));
      publish(protocol::relay(name_, parsed.text));
      return;
  }
}

// A public message: to everyone else and into the history for newcomers,
// with the rest of this read (send_published), one write per recipient.
void Session::publish(std::string line) {
  published_.append(line);
}

// Anything else this session tells others goes after what it has published.
void Session::send_published() {
  if (published_.empty()) return;
  // One shared buffer for the whole batch: one reference count and one
  // write piece per recipient, however many lines it holds.
  const auto batch = make_shared_line(std::exchange(published_, {}));
  history_.record(*batch);
  broadcast(batch);
}

void Session::announce() {
  if (announced_) return;
  announced_ = true;
  const std::size_t online = hub_.size();
  broadcast_presence(protocol::joined(name_, online), online);
}

void Session::announce_departure() {
  if (!announced_) return;
  const std::size_t online = hub_.size();
  if (!kick_reason_.empty()) {
    broadcast_presence(protocol::notice(name_ + " was disconnected: " + kick_reason_ + " (" +
                                        std::to_string(online) + " online)"),
                       online);
    return;
  }
  broadcast_presence(protocol::left(name_, online, departure_reason_), online);
}

void Session::broadcast_presence(std::string notice, std::size_t online) {
  send_published();
  if (config_.presence_limit != 0 && online > config_.presence_limit) return;
  broadcast(make_shared_line(std::move(notice)));
}

void Session::broadcast(const SharedLine& line) {
  const std::size_t held_before = held_back_.size();
  hub_.broadcast(line, this, held_back_);
  note_held_back(held_before);
}

void Session::handle_command(std::string_view command, std::string_view argument) {
  send_published();
  const auto table = command_table();
  const auto entry = std::find_if(table.begin(), table.end(), [command](const Command& known) {
    return known.name == command;
  });
  if (entry == table.end()) {
    send_to_self(protocol::error("unknown command /" + std::string(command) + " (try /help)"));
    return;
  }
  if (entry->handler != &Session::command_nick) announce();
  (this->*(entry->handler))(argument);
}

void Session::command_help(std::string_view /*argument*/) {
  for (const auto& entry : command_table()) send_to_self(protocol::notice(entry.usage));
  send_to_self(protocol::notice("//text - send a message that starts with /"));
}

void Session::command_quit(std::string_view reason) {
  departure_reason_ = reason;
  send_to_self(protocol::notice("Goodbye (" + std::string(reason.empty() ? "Bye" : reason) + ")"));
  quit_requested_ = true;
}

void Session::command_nick(std::string_view argument) {
  const std::string name(split_first_word(argument).first);
  if (auto problem = text::name_problem(name)) {
    send_to_self(protocol::error("invalid name '" + name + "': " + *problem));
    return;
  }
  if (!hub_.rename(this, name)) {
    send_to_self(protocol::error("the name " + name + " is already taken"));
    return;
  }
  const std::string old_name = std::exchange(name_, name);
  send_to_self(protocol::notice("You are now known as " + name_));
  if (old_name == name_) return;
  if (announced_) {
    broadcast(make_shared_line(protocol::renamed(old_name, name_)));
  } else {
    announce();
  }
}

void Session::command_who(std::string_view /*argument*/) {
  std::vector<protocol::OnlineEntry> online;
  const auto now = std::chrono::steady_clock::now();
  for (const auto& member : hub_.members()) {
    online.push_back(
        {member.name, std::chrono::duration_cast<std::chrono::seconds>(now - member.joined)});
  }
  send_to_self(protocol::online_list(online));
}

void Session::command_msg(std::string_view argument) {
  const auto [recipient_name, message] = split_first_word(argument);
  if (recipient_name.empty() || message.empty()) {
    send_to_self(protocol::error("usage: /msg NAME text"));
    return;
  }
  const auto recipient = hub_.find(recipient_name);
  if (!recipient) {
    send_to_self(protocol::error("nobody called " + std::string(recipient_name) + " is online"));
    return;
  }
  send_to_self(protocol::line(protocol::kAck));
  const auto line = make_shared_line(protocol::private_message(name_, message));
  if (recipient->deliver(std::span(&line, 1), this) == Delivery::held_back) {
    held_back_.push_back(recipient);
    note_held_back(held_back_.size() - 1);
  }
}

void Session::command_me(std::string_view text) {
  if (text.empty()) {
    send_to_self(protocol::error("usage: /me text"));
    return;
  }
  send_to_self(protocol::line(protocol::kAck));
  publish(protocol::action(name_, text));
}

void Session::send_to_self(std::string text) {
  // Replies to the client's own lines are never dropped: their volume is
  // bounded by what the client itself sends and reads.
  queue_.push_unbounded(make_shared_line(std::move(text)));
}

bool Session::output_waits_for_socket() const {
  return has_pending_output() && own_write_at_ == std::chrono::steady_clock::time_point{};
}

bool Session::has_pending_output() const {
  return queue_.bytes() > 0;
}

Session::Step Session::write_pending() {
  if (!own_write_waits()) {
    own_write_at_ = {};
    output_blocked_.store(false);  // this thread looks for itself whether the socket takes more
    if (flush_output(WriterWait::wait) == Flush::failed) return Step::close;
  }
  if (output_failed_.load()) return Step::close;
  if (queue_.overflowed()) {
    spdlog::warn("Disconnecting {}: send queue full (over {} bytes unread)", name_,
                 config_.sendq_bytes);
    kick_reason_ = "not reading fast enough";
    set_reset_on_close(socket_);
    return Step::close;
  }
  return Step::keep_going;
}

// This thread's own lines (replies, and what others queued) also wait for the
// end of a running coalescing window, unless the socket is full or closing.
bool Session::own_write_waits() {
  if (closing_ || output_blocked_.load() || queue_.empty()) return false;
  const std::chrono::steady_clock::time_point window_end(last_write_.load() + kCoalesceWindow);
  if (std::chrono::steady_clock::now() >= window_end) return false;
  own_write_at_ = window_end;
  return true;
}

Session::Flush Session::flush_output(WriterWait wait) {
  for (int round = 0; round < kFlushRounds; ++round) {
    std::unique_lock lock(write_mutex_, std::defer_lock);
    if (wait == WriterWait::wait) {
      lock.lock();
    } else if (!lock.try_lock()) {
      return Flush::done;  // the holder looks at the queue again after unlocking
    }
    const Flush result = write_queued_locked();
    lock.unlock();
    // Lines pushed while the lock was held may have found it taken.
    if (result != Flush::done || queue_.empty()) return result;
  }
  return Flush::pending;  // others keep adding: the session's thread takes over
}

Session::Flush Session::write_queued_locked() {
  if (!socket_.valid()) return Flush::failed;
  queue_.take_all(writing_);
  while (writing_front_ < writing_.size()) {
    std::array<iovec, kMaxIovecs> pieces{};
    std::size_t count = 0;
    for (std::size_t index = writing_front_; index < writing_.size() && count < pieces.size();
         ++index) {
      const auto& line = writing_[index];
      const std::size_t skip = count == 0 ? written_of_front_ : 0;
      pieces[count++] = {const_cast<char*>(line->data() + skip), line->size() - skip};
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
    queue_.release(static_cast<std::size_t>(sent));
    advance_written(static_cast<std::size_t>(sent));
  }
  // All written: start over, and after a burst give its slots back rather
  // than hold them while idle.
  if (writing_.capacity() > kKeptLineSlots) {
    writing_ = {};
  } else {
    writing_.clear();
  }
  writing_front_ = 0;
  return Flush::done;
}

void Session::close_socket() {
  const std::lock_guard lock(write_mutex_);
  socket_.reset();
}

// Drops fully written lines (and the SharedLine references) from the front.
void Session::advance_written(std::size_t bytes) {
  while (bytes > 0) {
    auto& front = writing_[writing_front_];
    const std::size_t used = std::min(front->size() - written_of_front_, bytes);
    bytes -= used;
    written_of_front_ += used;
    if (written_of_front_ == front->size()) {
      front.reset();
      ++writing_front_;
      written_of_front_ = 0;
    }
  }
}

void Session::flush_before_close() {
  closing_ = true;
  // What others hold of this session's last lines must not wait for its linger.
  settle_held_back(std::chrono::steady_clock::time_point::max());
  // At shutdown every session shares one deadline, however late its thread ran.
  const auto deadline = stop_requested_.load() ? stop_flush_until_.load()
                                               : std::chrono::steady_clock::now() + config_.linger;
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
