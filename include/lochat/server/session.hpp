#pragma once

#include <spdlog/common.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lochat/net/signal_wake.hpp"
#include "lochat/net/socket.hpp"
#include "lochat/server/address_limits.hpp"
#include "lochat/server/commands.hpp"
#include "lochat/server/connection.hpp"
#include "lochat/server/flood_gate.hpp"
#include "lochat/server/flush_scheduler.hpp"
#include "lochat/server/moderation.hpp"
#include "lochat/server/password_gate.hpp"
#include "lochat/server/pending_flushes.hpp"
#include "lochat/server/room.hpp"
#include "lochat/server/storm_log.hpp"
#include "lochat/wire/framing.hpp"

// One client's session: the thread that reads its lines and acts on them, and
// the limits it applies (SessionConfig). See Session below for who calls what.
namespace lochat {

struct SessionConfig {
  std::size_t max_line = kDefaultMaxLine;
  // What the server may hold for one client alone: its own replies in full,
  // a slot per shared line it has not read yet (the lines themselves count
  // once, server-wide, in the room's QueueBudget). 1 MiB is some 20,000
  // lines behind: far more than any reader that keeps reading falls behind.
  std::size_t sendq_bytes = 1024 * 1024;
  // A client with lines waiting that has taken no byte for this long has
  // stopped reading, however little it holds.
  std::chrono::milliseconds sendq_timeout{30000};
  // Kernel send buffer per client: kept modest so a stalled reader's bytes
  // pile up in the bounded queue, where they are counted, not in the kernel.
  int socket_send_buffer = 64 * 1024;
  // SO_RCVTIMEO/SO_SNDTIMEO on the socket: a blocked call returns this often.
  std::chrono::milliseconds io_timeout{1000};
  // How long a newcomer stays unannounced unless it names itself or speaks
  // first, so others hear it joined under its name, not its address.
  std::chrono::milliseconds announce_delay{1000};
  // How long a closing session keeps trying to flush what is queued.
  std::chrono::milliseconds linger{500};
  // Flood control (FloodGate): lines a second, and how many may come at once
  // (a paste); 0 turns it off. More than flood_lines waiting is flooding.
  double rate = 10.0;
  std::size_t burst = 30;
  std::size_t flood_lines = 200;
  // Disconnect clients silent for this long; 0 = never.
  std::chrono::milliseconds idle_timeout{0};
  // The server password's argon2id hash (password.hpp); empty: no password.
  // A client must send it over TLS, on tls_port, before it joins the room.
  std::string password_hash;
  std::uint16_t tls_port = 0;
  // Where clients of the wrong port are pointed (session_strangers.cpp): the
  // plain port (0: it only points to TLS) and the web client's (0: none).
  std::uint16_t plain_port = 0;
  std::uint16_t web_port = 0;
  // A browser bridged from the web port: the gate points it to the page
  // over https (web_port), not to the TLS port.
  bool browser = false;
  // Server-wide, thread-safe: failed TLS handshakes are logged once per storm (null: each).
  StormLog* failed_handshakes = nullptr;
};

// One connected client, on a thread of its own: run() greets it, reads and
// frames its lines, lets them through the flood gate, dispatches commands,
// keeps its name and presence, and has its Connection write what is due.
//
// Threads: run() and everything it calls belong to the session's own thread,
// and so does the TLS handshake and every read of its TLS stream; writes to
// the stream come from whoever holds the connection's write lock (connection.hpp).
// request_stop() may be called from the server's thread; the Connection's
// deliver() and flush_held() from other clients' threads (see connection.hpp
// for its locks). Shared with other threads here: the wake-up (its own
// mutex) and the atomics; every other member is the session thread's alone.
class Session final : public std::enable_shared_from_this<Session>,
                      private commands::CommandContext {
 public:
  using FinishedHandler = std::function<void()>;

  // `address` is what the client's address may do in all its connections (may be null);
  // `tls` is the server's TLS context for a client of the TLS port, null for plain.
  // `moderation` is the server's (thread-safe): operators, bans, mutes, topic.
  // `secure_transport`: in clear here, but encrypted before (a browser bridged
  // from https/wss): its password is accepted as if `tls` were set.
  Session(FileDescriptor socket, Endpoint peer, Room& room, FlushScheduler& flushes,
          Moderation& moderation, SessionConfig config, std::shared_ptr<AddressBudget> address,
          FinishedHandler on_finished, const tls::Context* tls = nullptr,
          bool secure_transport = false);

  void run();
  // Queues the shutdown notice and makes run() flush what is queued (until
  // `flush_until` at the latest) and return.
  void request_stop(std::chrono::steady_clock::time_point flush_until);

  // From the server's thread, when it is full: asks this connection to make
  // room if no line of the client's has been handled yet; false if one has
  // (or it was asked already). The session closes it, telling it why, unless
  // a line arrives before its thread sees the request (the request is then void).
  bool make_room_if_silent();

  [[nodiscard]] bool finished() const { return finished_.load(); }
  [[nodiscard]] const Endpoint& peer() const { return peer_; }
  // For a refusal before run() (no thread could be started for it).
  [[nodiscard]] const FileDescriptor& socket() const { return connection_.socket(); }

 private:
  enum class Step { keep_going, close };

  // Clients of another protocol (session_strangers.cpp): one that did not
  // start TLS on the TLS port, one speaking TLS to the plain port, a web browser.
  void turn_away_at_tls_port(Connection::Start start);
  bool speaks_tls_here(std::string_view first_bytes);
  bool is_web_browser(std::string_view first_line);
  void greet();
  // What the greeting says of the server: this session's limits.
  [[nodiscard]] protocol::ServerDescription limits() const {
    return {protocol::kProtocolVersion,
            true,
            config_.rate,
            config_.burst,
            config_.max_line,
            gate_.password_port(),
            room_.owners() != nullptr};
  }
  // Before the password (session_gate.cpp): a line for the gate alone; then the room.
  void knock(std::string_view raw_line);
  void enter_room();
  // After the handshake: a banned address or key hears why, once, and goes.
  [[nodiscard]] bool refused_by_ban();
  void greet_in_room();
  void wait_after_wrong_password();
  void serve();
  Step read_available();
  void take_line(std::string_view line);
  void frame_unterminated();
  void offer_line(std::string_view line);
  void handle_due_lines();
  void handle_line(std::string_view line);
  [[nodiscard]] std::chrono::nanoseconds poll_timeout() const;
  [[nodiscard]] bool idle_too_long() const;
  [[nodiscard]] bool asked_to_make_room() const;
  void mark_spoken();
  [[nodiscard]] std::chrono::nanoseconds time_for_delayed_lines() const;
  [[nodiscard]] bool drained_too_long() const;
  void disconnect_for(std::string reason, spdlog::level::level_enum level = spdlog::level::warn);
  void add_to_batch(std::string line);
  void publish_batch();
  void announce_departure();
  void announce_presence(std::string notice);
  Step write_due();
  void note_overflow(Connection::Health why);
  void flush_before_close();
  void finish();

  // commands::CommandContext
  [[nodiscard]] const std::string& name() const override { return name_; }
  void reply(std::string line) override;
  void publish(std::string line) override { add_to_batch(std::move(line)); }
  void announce() override;
  Rename rename(const std::string& name) override;
  Release release_name() override;
  bool send_private(std::string_view recipient, std::string line) override;
  [[nodiscard]] protocol::OnlineList online() const override { return room_.online(); }
  void quit(std::string_view reason) override;
  [[nodiscard]] bool is_operator() const override { return moderation_.is_operator(client_key_); }
  [[nodiscard]] Moderation& moderation() const override { return moderation_; }
  [[nodiscard]] std::shared_ptr<Participant> member(std::string_view name) const override {
    return room_.find(name);
  }
  [[nodiscard]] std::vector<std::shared_ptr<Participant>> members() const override {
    return room_.participants();
  }
  void tell_everyone(std::string notice) override;
  bool free_name(std::string_view name) override {
    return room_.owners() != nullptr && room_.owners()->release(name);
  }
  [[nodiscard]] std::optional<moderation::Ban> muted() const override {
    return moderation_.muted(peer_.address, client_key_);
  }

  const Endpoint peer_;
  Room& room_;
  FlushScheduler& flushes_;  // thread-safe; pays what owed_ hands over
  Moderation& moderation_;   // thread-safe
  const SessionConfig config_;
  FinishedHandler on_finished_;

  SignalWake wake_;  // wakes this thread: deliveries that need it, and shutdown
  Connection connection_;
  std::atomic<bool> stop_requested_{false};
  std::atomic<std::chrono::steady_clock::time_point> stop_flush_until_{};  // set before the flag
  std::atomic<bool> finished_{false};
  // Set once the client has had a line relayed (to everyone or to one) or
  // taken a name: only a connection that has done neither may be asked to
  // make room.
  std::atomic<bool> spoken_{false};
  std::atomic<bool> room_requested_{false};  // set by the server's thread

  // Owned by the session's thread alone.
  LineFramer framer_;
  // A client that has never ended a line with "\n" (the original LoChat
  // client) has its bytes taken as a message after a pause: when, or {}.
  bool sent_newline_ = false;
  bool heard_anything_ = false;    // any byte read yet
  bool handled_any_line_ = false;  // any line handled yet
  std::chrono::steady_clock::time_point unterminated_due_{};
  std::string batch_;    // this read's public lines, published together
  PendingFlushes owed_;  // recipients holding back this session's lines, this round
  std::string name_;     // the room holds the same name for others to look up
  std::shared_ptr<AddressBudget> address_;
  std::string client_key_;  // the client's TLS key's fingerprint ("" for none), from the handshake
  bool verified_ = false;   // its key owns its name (NameOwners)
  bool announced_ = false;
  bool presence_told_ = false;  // others heard it join, so they hear it leave
  std::chrono::steady_clock::time_point announce_by_{};
  FloodGate flood_gate_;
  PasswordGate gate_;
  bool in_room_ = false;  // joined: past the password, if the server has one
  std::chrono::steady_clock::time_point last_input_{};
  bool input_ended_ = false;  // the client half-closed (or hung up): nothing more to read
  std::chrono::steady_clock::time_point drain_until_{};  // its delayed lines' last chance
  bool quit_requested_ = false;
  std::string departure_reason_;  // from /quit
  std::string kick_reason_;       // why the server disconnected the client, if it did
};

}  // namespace lochat
