#include "lochat/server/tls_refusals.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <utility>

#include "lochat/server/connection.hpp"

namespace lochat {

namespace {

// The thread looks at its stop flag at least this often.
constexpr std::chrono::milliseconds kLongestWait{1000};

short events_for(tls::Stream::Wait wait) {
  return wait == tls::Stream::Wait::writable ? POLLOUT : POLLIN;
}

}  // namespace

TlsRefusals::TlsRefusals(const tls::Context& context, std::string not_tls_line,
                         StormLog& failed_handshakes)
    : context_(context),
      not_tls_line_(std::move(not_tls_line)),
      failed_handshakes_(failed_handshakes),
      thread_([this] { run(); }) {}

TlsRefusals::~TlsRefusals() {
  stopping_.store(true);
  wake_.notify();
  thread_.join();
}

bool TlsRefusals::refuse(FileDescriptor socket, const std::string& address, std::string line) {
  {
    const std::lock_guard lock(mutex_);
    std::size_t in_hand = 0;
    for (const auto& [_, count] : per_address_) in_hand += count;
    const auto same = per_address_.find(address);
    const std::size_t held = same == per_address_.end() ? 0 : same->second;
    if (in_hand >= kRefusalsInHand || held >= kRefusalsPerAddress) return false;
    ++per_address_[address];
    const auto deadline = std::chrono::steady_clock::now() + kTlsHandshakeTime;
    incoming_.push_back({std::move(socket), address, std::move(line), deadline, nullptr,
                         Refusal::Phase::handshake, POLLIN});
  }
  wake_.notify();
  return true;
}

void TlsRefusals::run() {
  std::vector<pollfd> watched;
  while (!stopping_.load()) {
    take_incoming();
    watched.assign(1, pollfd{wake_.fd(), POLLIN, 0});
    auto wake_by = std::chrono::steady_clock::now() + kLongestWait;
    for (const auto& refusal : refusing_) {
      watched.push_back({refusal.socket.get(), refusal.events, 0});
      wake_by = std::min(wake_by, refusal.deadline);
    }
    const auto wait = std::chrono::ceil<std::chrono::milliseconds>(
        std::max(wake_by - std::chrono::steady_clock::now(), std::chrono::nanoseconds(0)));
    ::poll(watched.data(), watched.size(), static_cast<int>(wait.count()));
    if (watched[0].revents != 0) wake_.drain();
    const auto now = std::chrono::steady_clock::now();
    auto entry = watched.begin() + 1;
    for (auto it = refusing_.begin(); it != refusing_.end(); ++entry) {
      const bool due = entry->revents != 0 || now >= it->deadline;
      if (due && !advance(*it)) {
        forget(*it);
        it = refusing_.erase(it);
      } else {
        ++it;
      }
    }
  }
  refusing_.clear();  // their TLS objects are freed on the thread that used them
}

// Each TLS object is made here, on the thread that alone will use it.
void TlsRefusals::take_incoming() {
  std::vector<Refusal> taken;
  {
    const std::lock_guard lock(mutex_);
    taken.swap(incoming_);
  }
  for (auto& refusal : taken) {
    try {
      set_nonblocking(refusal.socket);
      refusal.stream =
          std::make_unique<tls::Stream>(context_, refusal.socket.get(), tls::Stream::Role::accept);
      refusing_.push_back(std::move(refusal));
    } catch (const NetError&) {
      forget(refusal);  // out of memory for TLS: closed unanswered
    }
  }
}

bool TlsRefusals::advance(Refusal& refusal) {
  if (std::chrono::steady_clock::now() >= refusal.deadline) {
    if (refusal.phase != Refusal::Phase::handshake) return false;
    // Nothing at all came: maybe a person at nc, waiting to be told something.
    if (!refusal.stream->heard_from_client()) {
      say_and_half_close(refusal.socket, not_tls_line_ + refusal.line);
    }
    note_failed_handshake(refusal, "it did not finish it in time");
    return false;
  }
  switch (refusal.phase) {
    case Refusal::Phase::handshake:
      return handshake(refusal);
    case Refusal::Phase::line:
      return write_line(refusal);
    case Refusal::Phase::linger:
      return linger(refusal);
  }
  return false;
}

bool TlsRefusals::handshake(Refusal& refusal) {
  const auto step = refusal.stream->handshake();
  switch (step.status) {
    case tls::Stream::Io::Status::done:
      refusal.phase = Refusal::Phase::line;
      return write_line(refusal);
    case tls::Stream::Io::Status::would_block:
      refusal.events = events_for(step.wait);
      return true;
    case tls::Stream::Io::Status::not_tls:
      // It can read plain text: where it is, and why it is refused.
      say_and_half_close(refusal.socket, not_tls_line_ + refusal.line);
      note_failed_handshake(refusal, "it sent something else than TLS");
      return false;
    default:
      note_failed_handshake(refusal, "the handshake failed");
      return false;
  }
}

// Written in as many steps as the socket needs (a fresh one takes it at once).
bool TlsRefusals::write_line(Refusal& refusal) {
  const auto io = refusal.stream->write(refusal.line);
  if (io.status == tls::Stream::Io::Status::would_block) {
    refusal.events = events_for(io.wait);
    return true;
  }
  if (io.status != tls::Stream::Io::Status::done) return false;
  refusal.line.erase(0, io.bytes);
  if (!refusal.line.empty()) {
    refusal.events = POLLOUT;
    return true;
  }
  refusal.stream->close_notify();
  ::shutdown(refusal.socket.get(), SHUT_WR);
  refusal.phase = Refusal::Phase::linger;
  refusal.events = POLLIN;
  refusal.deadline = std::chrono::steady_clock::now() + kRefusalLinger;
  return true;
}

// Discards what the client still sends until it closes (or the linger ends).
bool TlsRefusals::linger(Refusal& refusal) {
  std::array<char, 4096> discard;
  const auto got = receive_some(refusal.socket, discard);
  return got.status != ReadResult::Status::closed;
}

void TlsRefusals::note_failed_handshake(const Refusal& refusal, std::string_view why) {
  if (const auto count = failed_handshakes_.note()) {
    spdlog::info("No TLS handshake from {} client(s) (the last: {}, refused: {})", count,
                 refusal.address, why);
  }
}

void TlsRefusals::forget(const Refusal& refusal) {
  const std::lock_guard lock(mutex_);
  const auto same = per_address_.find(refusal.address);
  if (same != per_address_.end() && --same->second == 0) per_address_.erase(same);
}

}  // namespace lochat
