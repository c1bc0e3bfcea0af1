#include "lochat/server/server.hpp"

#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <system_error>
#include <utility>

#include "lochat/server/admission.hpp"
#include "lochat/web/web_listener.hpp"
#include "lochat/wire/protocol.hpp"

namespace lochat {

namespace {

// Connections taken per wake-up, so a connect storm cannot starve reaping and shutdown.
constexpr int kAcceptsPerWake = 64;
// After EMFILE/ENFILE the listener is left alone this long, instead of spinning on it.
constexpr std::chrono::milliseconds kAcceptBackoff{100};
constexpr std::chrono::milliseconds kAcceptLoopTimeout{1000};
// How often, at most, memory that departed clients freed is handed back to
// the system (malloc_trim walks every arena, so not at every departure).
constexpr std::chrono::seconds kTrimEvery{1};

FileDescriptor open_spare_descriptor() {
  return FileDescriptor(::open("/dev/null", O_RDONLY | O_CLOEXEC));
}

// The bans live with the server's other state (its key and certificate).
ModerationConfig moderation_config(const ServerConfig& config) {
  auto moderation = config.moderation;
  if (moderation.bans_file.empty())
    moderation.bans_file = state_directory(config.tls) + "/bans.txt";
  return moderation;
}

// Keys are presented only in the TLS handshake: without TLS no key owns any name.
std::unique_ptr<NameOwners> name_owners(const TlsConfig& tls) {
  if (!tls.enabled) return nullptr;
  return std::make_unique<NameOwners>(state_directory(tls) + "/owned_names.txt");
}

}  // namespace

std::string Server::host_name() {
  std::array<char, 256> host{};
  ::gethostname(host.data(), host.size() - 1);
  return host.data();
}

Server::Server(ServerConfig config)
    : config_(std::move(config)),
      moderation_(moderation_config(config_)),
      listener_(listen_tcp(config_.host, config_.port, kListenBacklog)),
      owners_(name_owners(config_.tls)),
      room_(config_.room, owners_.get()),
      flushes_(kCoalesceWindow),
      address_limits_(config_.session.rate, config_.session.burst),
      spare_descriptor_(open_spare_descriptor()) {
  moderation_.use_name_owners(owners_.get());
  set_nonblocking(listener_);
  port_ = local_port(listener_);
  start_tls();
  // Started here rather than in run(), so a constructed server holds all its
  // long-lived resources and run() only adds sessions.
  start_web();
  start_discovery();  // after start_web: its replies carry the web port
}

Server::~Server() {
  stop();
  tls_refusals_.reset();  // its thread logs in failed_handshakes_, destroyed before it
  stop_all_sessions();
}

void Server::run() {
  spdlog::info("Listening on {}{}", Endpoint{config_.host, port_}.to_string(),
               config_.plain ? "" : " (only to point newcomers to the TLS port)");
  if (tls_) {
    spdlog::info("Listening for TLS on {}", Endpoint{config_.host, tls_port_}.to_string());
    spdlog::info("TLS certificate SHA-256 fingerprint: {}", tls_->fingerprint());
  }
  log_web_addresses();
  while (!stop_requested_.load()) {
    const bool backing_off = std::chrono::steady_clock::now() < accept_paused_until_;
    std::array<pollfd, 3> watched{{
        {backing_off ? -1 : listener_.get(), POLLIN, 0},
        {wake_.fd(), POLLIN, 0},
        {backing_off ? -1 : tls_listener_.get(), POLLIN, 0},
    }};
    const auto timeout = backing_off ? kAcceptBackoff : kAcceptLoopTimeout;
    ::poll(watched.data(), watched.size(), static_cast<int>(timeout.count()));
    if (watched[1].revents != 0) wake_.drain();
    if (reload_requested_.exchange(false)) moderation_.reload();
    reap_finished();
    serve_handed_over();
    if (should_exit_when_empty()) {
      spdlog::info("The last client has left; exiting (--exit-when-empty)");
      break;
    }
    if ((watched[0].revents & POLLIN) != 0) accept_pending(listener_);
    if ((watched[2].revents & POLLIN) != 0) accept_pending(tls_listener_);
  }
  discovery_.reset();
  listener_.reset();
  tls_listener_.reset();
  tls_refusals_.reset();
  stop_all_sessions();
  web_.reset();  // after the sessions: each bridge passes the goodbye on
}

// Discovery is a convenience: if its UDP port is taken, the chat still runs.
void Server::start_discovery() {
  if (!config_.discovery) return;
  const std::string name = config_.name.empty() ? host_name() : config_.name;
  try {
    discovery_ = std::make_unique<discovery::Responder>(
        config_.host, port_, name, port_, [this] { return room_.size(); }, tls_port_, fingerprint(),
        web_port());
    spdlog::info("Answering discovery on UDP port {} as \"{}\"", discovery_->port(), name);
  } catch (const NetError& error) {
    spdlog::warn("{}; clients must be given --host", error.what());
  }
}

void Server::stop() {
  stop_requested_.store(true);
  wake_.notify();
}

void Server::reload() {
  reload_requested_.store(true);
  wake_.notify();
}

std::size_t Server::session_threads() const {
  std::lock_guard lock(sessions_mutex_);
  return sessions_.size();
}

void Server::accept_pending(const FileDescriptor& listener) {
  const bool encrypted = &listener == &tls_listener_;
  for (int accepted = 0; accepted < kAcceptsPerWake; ++accepted) {
    FileDescriptor socket(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (socket.valid()) {
      auto peer = peer_endpoint(socket);
      // Reset before we took it: nobody is there to serve, greet or log.
      if (peer.address.empty()) continue;
      if (!encrypted && !config_.plain) {
        point_to_tls(socket);
        continue;
      }
      serve_or_refuse(std::move(socket), std::move(peer), encrypted ? &*tls_ : nullptr);
      continue;
    }
    if (errno == EMFILE || errno == ENFILE) {
      // Once per storm, like the refusals: near the limit it could come at every accept.
      if (const auto now = std::chrono::steady_clock::now(); now >= next_descriptor_warning_) {
        spdlog::warn("Cannot accept more connections: {}; refusing newcomers",
                     std::strerror(errno));
        next_descriptor_warning_ = now + kStormLogEvery;
      }
      if (refuse_with_spare_descriptor(listener)) continue;
      accept_paused_until_ = std::chrono::steady_clock::now() + kAcceptBackoff;
    }
    return;
  }
}

void Server::serve_or_refuse(FileDescriptor socket, Endpoint peer, const tls::Context* tls,
                             Browser browser) {
  auto budget = address_limits_.budget_for(peer.address);
  const auto now = std::chrono::steady_clock::now();
  // Logged once when it began (password_gate.cpp), not at each reconnect.
  if (const auto left = budget->refused_for(now); left.count() > 0) {
    return turn_away(std::move(socket), peer.address,
                     protocol::password_refusal(peer.address, left), tls != nullptr);
  }
  // A TLS client's key is known after its handshake: its session checks both.
  if (tls == nullptr) {
    if (const auto ban = moderation_.banned(peer.address, ""); ban) {
      moderation_.log_refusal(peer.address, *ban);
      return say_and_close(socket, protocol::you_are_banned(ban->until, ban->reason));
    }
  }
  const bool connect_token_free = budget->try_take_connection(now);
  if (const auto reason = admit(peer.address, connect_token_free); !reason.empty()) {
    refuse(std::move(socket), peer.address, reason, tls != nullptr);
  } else {
    start_session(std::move(socket), std::move(peer), std::move(budget), tls, browser);
  }
}

// Out of descriptors, a newcomer would wait in the backlog without a word:
// the descriptor kept spare for this lets it be accepted and told why.
// On the TLS port too the line goes in clear, at once, and the spare is back
// before the next newcomer. Handing it to TlsRefusals would keep the spare
// for the whole handshake (up to 5 s), which anyone could stretch by
// stalling theirs, again and again, leaving every later newcomer, on both
// ports, silent in the backlog; closing it unanswered would tell a person
// nothing. A line in clear costs no more than on the plain port, says nothing
// of the room, and lochat shows it marked as unencrypted (it could have come
// from anyone on the way) and chats no further (secure_connect.cpp).
bool Server::refuse_with_spare_descriptor(const FileDescriptor& listener) {
  // Taken back here if a departed client has freed a descriptor since.
  if (!spare_descriptor_.valid()) spare_descriptor_ = open_spare_descriptor();
  if (!spare_descriptor_.valid()) return false;
  spare_descriptor_.reset();
  bool refused = false;
  {
    FileDescriptor socket(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    refused = socket.valid();
    if (refused) {
      refuse(std::move(socket), {}, "server cannot take more clients now, try again later", false);
    }
  }  // closed before the spare is opened again, which needs its descriptor
  spare_descriptor_ = open_spare_descriptor();
  return refused;
}

std::string Server::admit(const std::string& address, bool connect_token_free) {
  std::lock_guard lock(sessions_mutex_);
  const admission::Places places{sessions_.size(), config_.max_clients};
  const auto same_ip = clients_per_ip_.find(address);
  const std::size_t held = same_ip == clients_per_ip_.end() ? 0 : same_ip->second;
  auto verdict = admission::admit(places, {held, config_.max_per_ip, connect_token_free});
  if (verdict == admission::Verdict::make_room) {
    verdict = make_room_locked(address, held) ? admission::Verdict::serve
                                              : admission::Verdict::refuse_full;
  }
  if (verdict == admission::Verdict::serve) return "";
  return admission::refusal(verdict, places, address, config_.max_per_ip);
}

// Full, and the newcomer's address holds fewer than a few: the most recent
// connection that has sent nothing, from another address that holds more,
// is closed to make room. One machine's idle connections cannot lock out the
// rest of the LAN, and nobody who has spoken loses their place.
bool Server::make_room_locked(const std::string& address, std::size_t held) {
  for (auto it = sessions_.rbegin(); it != sessions_.rend(); ++it) {
    const auto& other = it->session->peer().address;
    if (other == address) continue;
    const auto others_held = clients_per_ip_.find(other)->second;
    if (others_held < admission::kFewPerAddress || others_held <= held) continue;
    if (it->session->make_room_if_silent()) {
      if (const auto count = made_room_.note()) {
        spdlog::info("Closed {} silent connection(s) to make room for newcomers (the last: {})",
                     count, other);
      }
      return true;
    }
  }
  return false;
}

void Server::refuse(FileDescriptor socket, const std::string& address, const std::string& reason,
                    bool tls) {
  log_refusal(reason);
  turn_away(std::move(socket), address, protocol::error(reason), tls);
}

// With --plain off: one line, on a fresh socket (see refuse), then the close.
void Server::point_to_tls(const FileDescriptor& socket) const {
  say_and_close(
      socket, protocol::error("this server only speaks TLS, on port " + std::to_string(tls_port_)));
}

// One line on a fresh socket never blocks (its buffer is empty), then the close.
void Server::say_and_close(const FileDescriptor& socket, const std::string& line) {
  say_and_half_close(socket, line);
}

void Server::log_refusal(const std::string& reason) {
  if (const auto count = refusals_.note()) {
    spdlog::warn("Refused {} newcomer(s) (the last: {})", count, reason);
  }
}

void Server::start_session(FileDescriptor socket, Endpoint peer,
                           std::shared_ptr<AddressBudget> budget, const tls::Context* tls,
                           Browser browser) {
  const std::string address = peer.address;
  SessionConfig session_config = config_.session;
  session_config.tls_port = tls_port_;  // known once bound (--tls-port 0)
  session_config.plain_port = config_.plain ? port_ : 0;
  session_config.web_port = web_port();
  session_config.failed_handshakes = &failed_handshakes_;
  session_config.browser = browser != Browser::none;
  auto session = std::make_shared<Session>(
      std::move(socket), std::move(peer), room_, flushes_, moderation_, std::move(session_config),
      std::move(budget), [this] { wake_.notify(); }, tls, browser == Browser::over_tls);
  std::lock_guard lock(sessions_mutex_);
  try {
    sessions_.push_back(Running{session, std::thread([session] { session->run(); })});
    ++clients_per_ip_[address];
    served_anyone_ = true;
  } catch (const std::system_error&) {
    // Out of threads: the newcomer hears why, and the log gets one line per storm.
    const bool encrypted = tls != nullptr;
    refuse(FileDescriptor(::dup(session->socket().get())), address,
           "server cannot take more clients now, try again later", encrypted);
  }
}

void Server::reap_finished() {
  std::list<Running> done;
  {
    std::lock_guard lock(sessions_mutex_);
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      auto next = std::next(it);
      if (it->session->finished()) {
        const auto same_ip = clients_per_ip_.find(it->session->peer().address);
        if (--same_ip->second == 0) clients_per_ip_.erase(same_ip);
        done.splice(done.end(), sessions_, it);
      }
      it = next;
    }
  }
  for (auto& running : done) running.thread.join();
  if (done.empty()) return;
  // glibc keeps freed memory in its arenas: without this, what a client's
  // queue once held stays in the server's RSS after it has gone.
  const auto now = std::chrono::steady_clock::now();
  if (now - last_trim_ < kTrimEvery) return;
  last_trim_ = now;
  ::malloc_trim(0);
}

void Server::stop_all_sessions() {
  std::list<Running> all;
  {
    std::lock_guard lock(sessions_mutex_);
    all.swap(sessions_);
    clients_per_ip_.clear();
  }
  const auto flush_until = std::chrono::steady_clock::now() + config_.session.linger;
  for (auto& running : all) running.session->request_stop(flush_until);
  for (auto& running : all) {
    if (running.thread.joinable()) running.thread.join();
  }
}

bool Server::should_exit_when_empty() const {
  std::lock_guard lock(sessions_mutex_);
  return config_.exit_when_empty && served_anyone_ && sessions_.empty();
}

}  // namespace lochat
