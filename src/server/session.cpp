#include "lochat/server/session.hpp"

#include <poll.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <iterator>
#include <utility>

#include "lochat/wire/protocol.hpp"
#include "lochat/wire/text.hpp"

namespace lochat {

namespace {

// Small enough that ten thousand idle threads stay cheap, large enough to take
// a pasted paragraph in one read.
constexpr std::size_t kReadChunk = 16 * 1024;
// Reads per wake-up before the session writes again, so one flooding client
// cannot starve its own outbound queue.
constexpr int kReadsPerWake = 4;
// Deliveries and shutdown wake the thread at once (SignalWake), so once the
// join is announced nothing needs a periodic look: an idle client's thread
// then sleeps this long, which keeps a server of idle clients idle.
constexpr std::chrono::milliseconds kQuietWait{5000};
// Stands in the flood gate for a line that was too long to keep: a framed line
// never holds "\n", so no client line can look like it. It goes through flood
// control like any line, so a stream of overlong lines is paced, and its
// error replies with it.
constexpr std::string_view kOverlongLine = "\n";
// The original LoChat client sends each message without a newline, at least
// 0.5 s apart. From a client that has never sent a newline, bytes followed by
// this much silence are one message; a line that TCP splits into segments
// arrives well within it. Clients that end lines with "\n" never wait on it.
constexpr std::chrono::milliseconds kUnterminatedPause{300};
// Why a connection that had sent nothing is closed when a full server needs its place.
constexpr std::string_view kMakingRoom =
    "the server is full and needs this place for another machine (this connection sent nothing)";
// After a client's end of input, its delayed lines get the time its own rate
// needs for them plus this; past that (its address's other connections have
// taken the shared allowance) the rest is dropped, so a client that sends and
// hangs up cannot keep a thread busy for long.
constexpr std::chrono::seconds kDrainSlack{2};
// However slow --rate is, a client that has hung up holds its thread no longer.
constexpr std::chrono::duration<double> kLongestDrain{60.0};

std::chrono::nanoseconds until(std::chrono::steady_clock::time_point deadline,
                               std::chrono::steady_clock::time_point now) {
  return std::max<std::chrono::nanoseconds>(deadline - now, std::chrono::nanoseconds(0));
}

}  // namespace

Session::Session(FileDescriptor socket, Endpoint peer, Room& room, FlushScheduler& flushes,
                 Moderation& moderation, SessionConfig config,
                 std::shared_ptr<AddressBudget> address, FinishedHandler on_finished,
                 const tls::Context* tls, bool secure_transport)
    : peer_(std::move(peer)),
      room_(room),
      flushes_(flushes),
      moderation_(moderation),
      config_(config),
      on_finished_(std::move(on_finished)),
      connection_(std::move(socket),
                  Connection::Limits{config.sendq_bytes, config.sendq_timeout, &room.budget()},
                  wake_, tls),
      framer_(config.max_line),
      name_(peer_.to_string()),
      address_(std::move(address)),
      flood_gate_(config.rate, config.burst, config.flood_lines, std::chrono::steady_clock::now(),
                  address_),
      gate_(config.password_hash, tls != nullptr || secure_transport,
            config.browser ? config.web_port : config.tls_port, address_, peer_.address,
            config.browser),
      last_input_(std::chrono::steady_clock::now()) {}

void Session::run() {
  wake_.attach();
  if (const auto start = connection_.prepare_socket(config_.io_timeout, config_.socket_send_buffer);
      start != Connection::Start::ready) {
    turn_away_at_tls_port(start);
    return finish();
  }
  client_key_ = connection_.client_key();
  if (!client_key_.empty()) spdlog::info("{} presents the key {}", peer_.to_string(), client_key_);
  connection_.set_identity({peer_.address, client_key_});
  if (refused_by_ban()) return finish();
  greet();
  if (gate_.open()) enter_room();
  serve();
  if (in_room_) {
    room_.leave(&connection_);
    if (!stop_requested_.load()) announce_departure();
    owed_.settle_all();
    spdlog::info("Disconnected: {}, {} ({} online)", peer_.address, peer_.port, room_.size());
  }
  finish();
}

void Session::finish() {
  connection_.close();
  wake_.detach();
  finished_.store(true);
  on_finished_();
}

// Until the client is past the password (if any), it hears nothing more.
void Session::greet() {
  reply(protocol::welcome());
  reply(protocol::self_description(limits()));
}

void Session::request_stop(std::chrono::steady_clock::time_point flush_until) {
  connection_.queue_own_line(protocol::shutting_down());
  stop_flush_until_.store(flush_until);
  stop_requested_.store(true);
  wake_.notify();
}

void Session::serve() {
  while (!stop_requested_.load()) {
    // Once the client has stopped sending, its socket only matters for writing:
    // its end of input (or hang-up) would otherwise wake every poll at once.
    const bool watch = !input_ended_ || connection_.waits_for_socket();
    // A TLS read that waits for the socket to take bytes is woken by POLLOUT alone.
    const bool reading = !input_ended_ && !connection_.read_waits_writable();
    const short events =
        static_cast<short>((reading ? POLLIN : 0) | (connection_.waits_for_socket() ? POLLOUT : 0));
    std::array<pollfd, 1> watched{{{watch ? connection_.socket().get() : -1, events, 0}}};
    if (wake_.wait(watched, poll_timeout()) < 0 && errno != EINTR) return;
    if (!input_ended_ && connection_.input_ready(watched[0].revents) &&
        read_available() == Step::close) {
      input_ended_ = true;
      drain_until_ = std::chrono::steady_clock::now() + time_for_delayed_lines() + kDrainSlack;
    }
    if (unterminated_due_ != std::chrono::steady_clock::time_point{} &&
        std::chrono::steady_clock::now() >= unterminated_due_) {
      frame_unterminated();
    }
    handle_due_lines();
    publish_batch();
    if (auto kicked = connection_.take_kick()) disconnect_for(std::move(*kicked));
    // Lines still waiting for the flood gate are the client's too: they are
    // handled, paced as usual, before the session closes.
    if (input_ended_ && (!flood_gate_.has_delayed() || drained_too_long())) {
      flush_before_close();
      return;
    }
    if (!announced_ && std::chrono::steady_clock::now() >= announce_by_) announce();
    if (asked_to_make_room()) disconnect_for(std::string(kMakingRoom), spdlog::level::debug);
    if (idle_too_long()) {
      disconnect_for("idle for more than " +
                     protocol::short_duration(
                         std::chrono::duration_cast<std::chrono::seconds>(config_.idle_timeout)));
    }
    owed_.hand_over(flushes_);
    // Replies and private messages grow queues too, not only broadcasts.
    room_.enforce_budget();
    if (write_due() == Step::close) return;
    if (quit_requested_) {
      flush_before_close();
      return;
    }
  }
  flush_before_close();
}

std::chrono::nanoseconds Session::poll_timeout() const {
  if (!input_ended_ && connection_.has_buffered_input()) return std::chrono::nanoseconds(0);
  const auto now = std::chrono::steady_clock::now();
  std::chrono::nanoseconds timeout =
      announced_ || !in_room_ ? kQuietWait : until(announce_by_, now);
  if (connection_.waits_for_socket())
    timeout = std::min(timeout, until(connection_.stalled_at(), now));
  if (unterminated_due_ != std::chrono::steady_clock::time_point{}) {
    timeout = std::min(timeout, until(unterminated_due_, now));
  }
  if (input_ended_) timeout = std::min(timeout, until(drain_until_, now));
  if (const auto next = flood_gate_.wait_for_next(now)) {
    timeout = std::min<std::chrono::nanoseconds>(timeout, *next);
  }
  if (config_.idle_timeout.count() > 0 && !quit_requested_ && !input_ended_) {
    const auto idle_left = std::chrono::duration_cast<std::chrono::milliseconds>(
        last_input_ + config_.idle_timeout - now);
    timeout = std::min<std::chrono::nanoseconds>(timeout,
                                                 std::max(idle_left, std::chrono::milliseconds(1)));
  }
  return timeout;
}

std::chrono::nanoseconds Session::time_for_delayed_lines() const {
  if (config_.rate <= 0) return std::chrono::nanoseconds(0);
  const double seconds = static_cast<double>(flood_gate_.delayed()) / config_.rate;
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::duration<double>(std::min(seconds, kLongestDrain.count())));
}

bool Session::drained_too_long() const {
  if (std::chrono::steady_clock::now() < drain_until_) return false;
  spdlog::warn("Dropping {} lines from {}: not handled in time after its end of input",
               flood_gate_.delayed(), name_);
  return true;
}

bool Session::idle_too_long() const {
  return config_.idle_timeout.count() > 0 && !quit_requested_ && !input_ended_ &&
         std::chrono::steady_clock::now() - last_input_ >= config_.idle_timeout;
}

// The client hears why in one error line; the others in one notice when it has gone.
void Session::disconnect_for(std::string reason, spdlog::level::level_enum level) {
  spdlog::log(level, "Disconnecting {}: {}", name_, reason);
  reply(protocol::disconnecting(reason));
  kick_reason_ = std::move(reason);
  quit_requested_ = true;
  flood_gate_.clear();
}

Session::Step Session::read_available() {
  std::array<char, kReadChunk> buffer;
  for (int read = 0; read < kReadsPerWake && !quit_requested_ && !stop_requested_.load(); ++read) {
    const auto result = connection_.read_some(buffer);
    if (result.status == ReadResult::Status::would_block) break;
    if (result.status == ReadResult::Status::closed) {
      // A client that never sends newlines ends its last message by closing.
      if (!sent_newline_) frame_unterminated();
      return Step::close;
    }
    last_input_ = std::chrono::steady_clock::now();
    const std::string_view bytes(buffer.data(), result.bytes);
    if (!std::exchange(heard_anything_, true) && speaks_tls_here(bytes)) return Step::close;
    sent_newline_ = sent_newline_ || bytes.find('\n') != std::string_view::npos;
    framer_.feed(
        bytes, [this](std::string_view line) { take_line(line); },
        [this] { take_line(kOverlongLine); });
    publish_batch();
  }
  unterminated_due_ = !sent_newline_ && framer_.has_unfinished()
                          ? last_input_ + kUnterminatedPause
                          : std::chrono::steady_clock::time_point{};
  return Step::keep_going;
}

void Session::take_line(std::string_view line) {
  // At shutdown the rest of a large read is left unhandled, so stop is prompt.
  if (!quit_requested_ && !stop_requested_.load()) offer_line(line);
}

void Session::mark_spoken() {
  if (!spoken_.load(std::memory_order_relaxed)) spoken_.store(true);
}

bool Session::make_room_if_silent() {
  if (spoken_.load() || room_requested_.exchange(true)) return false;
  wake_.notify();
  return true;
}

// Lines the client sent that are not handled yet (unread bytes, lines
// waiting for the flood gate) are heard out first: they may make it a
// speaker, whose place is not taken.
bool Session::asked_to_make_room() const {
  if (!room_requested_.load() || spoken_.load() || quit_requested_) return false;
  const bool unheard = flood_gate_.has_delayed() || bytes_waiting(connection_.socket()) > 0 ||
                       unterminated_due_ != std::chrono::steady_clock::time_point{};
  return !unheard;
}

void Session::frame_unterminated() {
  unterminated_due_ = {};
  framer_.finish([this](std::string_view line) { take_line(line); },
                 [this] { take_line(kOverlongLine); });
}

// Lines within the flood allowance are handled at once; the rest wait their turn.
void Session::offer_line(std::string_view line) {
  switch (flood_gate_.offer(line, std::chrono::steady_clock::now())) {
    case FloodGate::Verdict::pass:
      handle_line(line);
      return;
    case FloodGate::Verdict::delayed:
      return;
    case FloodGate::Verdict::slow_down:
      reply(protocol::slow_down(flood_gate_.delayed(), limits(), config_.flood_lines));
      return;
    case FloodGate::Verdict::flooding:
      disconnect_for("flooding (more than " + std::to_string(config_.flood_lines) +
                     " lines waiting)");
      return;
  }
}

void Session::handle_due_lines() {
  while (!quit_requested_) {
    const auto line = flood_gate_.next_due(std::chrono::steady_clock::now());
    if (!line) return;
    handle_line(*line);
  }
}

void Session::handle_line(std::string_view raw_line) {
  // Before anything else sees it (or logs it): it may hold the password.
  if (!std::exchange(handled_any_line_, true) && is_web_browser(raw_line)) return;
  if (!gate_.open()) return knock(raw_line);
  const std::string line = raw_line == kOverlongLine ? std::string() : text::sanitize(raw_line);
  // Cleaning turns each invalid byte into U+FFFD (three bytes): the limit
  // holds for what is relayed, not only for what was read.
  if (raw_line == kOverlongLine || line.size() > config_.max_line) {
    reply(protocol::line_too_long(config_.max_line));
    return;
  }
  const auto parsed = protocol::parse_client_line(line);
  switch (parsed.kind) {
    case protocol::ClientLine::Kind::empty:
      return;
    case protocol::ClientLine::Kind::command:
      publish_batch();  // what was said before the command goes out before its effects
      commands::dispatch(*this, parsed.command, parsed.argument);
      return;
    case protocol::ClientLine::Kind::chat:
      announce();
      if (const auto mute = muted()) return reply(protocol::you_are_muted(mute->until));
      spdlog::debug("{}: {}", name_, parsed.text);
      reply(protocol::ack());
      add_to_batch(protocol::relay(name_, parsed.text));
      return;
  }
}

// A public line waits for the rest of this read, so one read's lines go to
// each recipient as one write.
void Session::add_to_batch(std::string line) {
  mark_spoken();
  batch_.append(line);
}

// Anything else this session tells others goes after what it has batched.
void Session::publish_batch() {
  if (batch_.empty()) return;
  // One shared buffer for the whole batch: one reference count and one
  // write piece per recipient, however many lines it holds.
  room_.publish(room_.share(std::exchange(batch_, {})), &connection_, owed_);
}

void Session::announce_departure() {
  if (!presence_told_) return;
  const std::size_t online = room_.size();
  announce_presence(kick_reason_.empty() ? protocol::left(name_, online, departure_reason_)
                                         : protocol::disconnected(name_, kick_reason_, online));
}

void Session::announce_presence(std::string notice) {
  publish_batch();
  room_.announce_presence(room_.share(std::move(notice)), &connection_, owed_);
}

Session::Step Session::write_due() {
  const auto health = connection_.write_due();
  // Own lines waiting out a coalescing window are the scheduler's to flush.
  if (connection_.own_lines_due()) {
    flushes_.owe(std::shared_ptr<Participant>(shared_from_this(), &connection_));
  }
  if (health == Connection::Health::open) return Step::keep_going;
  if (health != Connection::Health::failed) note_overflow(health);
  return Step::close;
}

void Session::note_overflow(Connection::Health why) {
  const auto reason = connection_.drop_reason(why);
  spdlog::warn("Disconnecting {}: {}", name_, reason.logged);
  kick_reason_ = reason.told;
  connection_.reset_on_close();
}

void Session::flush_before_close() {
  connection_.start_closing();
  // What others hold of this session's last lines must not wait for its linger.
  owed_.settle_all();
  // At shutdown every session shares one deadline, however late its thread ran.
  const auto deadline = stop_requested_.load() ? stop_flush_until_.load()
                                               : std::chrono::steady_clock::now() + config_.linger;
  if (const auto health = connection_.drain_and_half_close(deadline);
      health != Connection::Health::open && health != Connection::Health::failed) {
    note_overflow(health);
  }
}

}  // namespace lochat
