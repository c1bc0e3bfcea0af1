#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "lochat/net/discovery.hpp"
#include "lochat/net/event_fd_wake.hpp"
#include "lochat/net/socket.hpp"
#include "lochat/net/tls.hpp"
#include "lochat/server/address_limits.hpp"
#include "lochat/server/admission.hpp"
#include "lochat/server/flush_scheduler.hpp"
#include "lochat/server/moderation.hpp"
#include "lochat/server/name_owners.hpp"
#include "lochat/server/room.hpp"
#include "lochat/server/session.hpp"
#include "lochat/server/storm_log.hpp"
#include "lochat/server/tls_refusals.hpp"

// The server: its configuration, the listening socket, the accept loop and
// the session threads it starts and joins (see Server below for threads and locks).
namespace lochat {

// The TLS port (docs/SECURITY.md). Off unless asked for: lochat-server asks
// for it by default; tests of the plain protocol do not.
struct TlsConfig {
  bool enabled = false;
  std::uint16_t port = 0;   // 0: any free port
  std::string certificate;  // PEM files; both empty: a self-made pair in state_directory
  std::string key;
  std::string state_directory;  // empty: tls::default_state_directory()
};

// The directory of the server's state: its certificate, if it made one, and
// the names owned by keys (owned_names.txt).
std::string state_directory(const TlsConfig& tls);

struct ServerConfig {
  std::string host = "0.0.0.0";
  std::uint16_t port = 4444;
  bool exit_when_empty = false;  // the original behaviour: stop once the last client left
  std::size_t max_clients = 1024;
  std::size_t max_per_ip = 0;  // 0 = no fixed cap (admission.hpp's rules still hold)
  bool discovery = true;       // answer LAN discovery probes on UDP
  std::string name;            // shown to users who discover the server; empty = host name
  RoomConfig room;             // history and presence notices
  SessionConfig session;       // each client's limits
  TlsConfig tls;
  // False: the plain port only tells newcomers, in one line, to use the TLS port.
  bool plain = true;
  // The web client's HTTP port: unset, the port + 2 (any free port when port
  // is 0); 0, no web client.
  std::optional<std::uint16_t> web_port;
  std::chrono::milliseconds web_request_timeout{10000};  // a slower HTTP request is closed
  // --ops-file and --motd-file; the bans file, if not given, is "bans" in the
  // state directory (tls.state_directory or tls::default_state_directory()).
  ModerationConfig moderation;
};

namespace web {
class WebListener;
}

// The accept loop and the owner of every session thread.
//
// Threads: run() is the accept loop and is the only thread that starts or
// joins session threads; stop() may be called from any thread (e.g. the
// signal-handling one). A browser's WebSocket (web/, its own threads) is
// bridged to a socketpair whose other end the web listener hands over;
// the accept loop serves it as a client from the browser's address.
class Server {
 public:
  // Binds and listens at once, so a port in use fails here with a NetError.
  explicit Server(ServerConfig config);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  [[nodiscard]] std::uint16_t port() const { return port_; }
  // The TLS port and the certificate's SHA-256 fingerprint; 0 and "" without TLS.
  [[nodiscard]] std::uint16_t tls_port() const { return tls_port_; }
  [[nodiscard]] std::string fingerprint() const;
  // The web client's port, 0 if it is off.
  [[nodiscard]] std::uint16_t web_port() const;
  // Accepts and serves until stop() (or, with exit_when_empty, until the last
  // client has left); then notifies every client, closes all and joins every thread.
  void run();
  void stop();
  // On SIGHUP: the accept loop reads the ops file and the message of the day
  // again. Like stop(), only an atomic and the eventfd: async-signal-safe.
  void reload();

  [[nodiscard]] std::size_t online() const { return room_.size(); }
  // Names owned by keys; null without TLS.
  [[nodiscard]] NameOwners* owners() const { return owners_.get(); }
  // Session threads started and not yet joined.
  [[nodiscard]] std::size_t session_threads() const;

 private:
  // Connections the kernel keeps waiting for accept(), on each port.
  static constexpr int kListenBacklog = 1024;

  struct Running {
    std::shared_ptr<Session> session;
    std::thread thread;
  };

  void start_tls();
  static std::string host_name();
  static void check_key_access(const std::string& key_file);
  void start_discovery();
  void accept_pending(const FileDescriptor& listener);
  void point_to_tls(const FileDescriptor& socket) const;
  void start_web();
  void log_web_addresses() const;
  // Called by the web listener's connection threads: queues a bridged
  // browser for the accept thread, which alone starts sessions.
  void hand_over(FileDescriptor socket, Endpoint peer, bool secure);
  void serve_handed_over();
  // A browser bridged from the web port, and whether its own connection is
  // TLS (its session may take a password only then).
  enum class Browser { none, in_clear, over_tls };
  // `tls`: the context of the TLS port it came in on, or null in clear.
  void serve_or_refuse(FileDescriptor socket, Endpoint peer, const tls::Context* tls,
                       Browser browser = Browser::none);
  // Why a newcomer from `address` cannot be served now, or "" if it can
  // (after asking a silent connection to make room, if the server is full).
  [[nodiscard]] std::string admit(const std::string& address, bool connect_token_free);
  bool make_room_locked(const std::string& address, std::size_t held);
  // The refused newcomer reads one line saying why: inside TLS if `tls`
  // (server_tls.cpp), which the accept thread hands over, never waiting for it.
  void refuse(FileDescriptor socket, const std::string& address, const std::string& reason,
              bool tls);
  void turn_away(FileDescriptor socket, const std::string& address, std::string line, bool tls);
  static void say_and_close(const FileDescriptor& socket, const std::string& line);
  bool refuse_with_spare_descriptor(const FileDescriptor& listener);
  void log_refusal(const std::string& reason);
  void start_session(FileDescriptor socket, Endpoint peer, std::shared_ptr<AddressBudget> budget,
                     const tls::Context* tls, Browser browser);
  void reap_finished();
  void stop_all_sessions();
  [[nodiscard]] bool should_exit_when_empty() const;

  const ServerConfig config_;
  Moderation moderation_;  // thread-safe; outlives every session (joined in ~Server)
  FileDescriptor listener_;
  std::uint16_t port_ = 0;
  std::optional<tls::Context> tls_;  // set by the constructor; immutable, shared by sessions
  FileDescriptor tls_listener_;
  std::uint16_t tls_port_ = 0;
  std::unique_ptr<TlsRefusals> tls_refusals_;  // with TLS; started by the constructor
  // Before room_, which holds it. Only with TLS: keys come in its handshake.
  std::unique_ptr<NameOwners> owners_;
  Room room_;
  // After room_: destroyed first, it lets go of the last sessions it owes a
  // flush before the room (and the budget their queues charge) goes.
  FlushScheduler flushes_;
  AddressLimits address_limits_;
  std::unique_ptr<discovery::Responder> discovery_;  // set by the constructor, reset by run()
  EventFdWake wake_;
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> reload_requested_{false};
  // Accept thread only.
  std::chrono::steady_clock::time_point accept_paused_until_{};
  std::chrono::steady_clock::time_point next_descriptor_warning_{};
  FileDescriptor spare_descriptor_;  // given up for a moment to refuse newcomers when out of them
  // Events that come in storms, logged with their count (storm_log.hpp).
  StormLog refusals_;
  StormLog made_room_;
  StormLog failed_handshakes_;  // session threads and the TLS refusals' thread too
  std::chrono::steady_clock::time_point last_trim_{};

  mutable std::mutex sessions_mutex_;  // guards sessions_, clients_per_ip_ and served_anyone_
  std::list<Running> sessions_;
  std::map<std::string, std::size_t> clients_per_ip_;
  bool served_anyone_ = false;

  std::mutex handed_over_mutex_;  // guards handed_over_
  struct HandedOver {
    FileDescriptor socket;
    Endpoint peer;
    Browser browser;
  };
  std::vector<HandedOver> handed_over_;
  // Last: destroyed first, so no connection thread hands over to a server
  // that is going. Reset by run() once the sessions have said goodbye.
  std::unique_ptr<web::WebListener> web_;
};

}  // namespace lochat
