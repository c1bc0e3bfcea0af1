#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "lochat/net/event_fd_wake.hpp"
#include "lochat/net/socket.hpp"
#include "lochat/net/token_bucket.hpp"

// Threads: discover() blocks its caller for the wait it is given; a Responder
// answers on a thread of its own, stopped and joined by its destructor; the
// pure functions (format_reply, parse_reply, is_probe) may run anywhere.
// LAN discovery over UDP, as docs/PROTOCOL.md describes it: a client
// broadcasts a probe, every server answers it with its name, TCP port and
// number of users, and, if it speaks TLS, its TLS port and certificate fingerprint.
namespace lochat::discovery {

inline constexpr std::string_view kProbe = "LOCHAT-DISCOVER 1";
inline constexpr std::size_t kMaxDatagram = 512;
// The bytes of a server's name a reply carries (and its padded width).
inline constexpr std::size_t kMaxNameLength = 64;

struct ServerInfo {
  std::string name;
  std::string address;  // as the client saw the reply come from
  std::uint16_t port = 0;
  std::size_t users = 0;
  std::uint16_t tls_port = 0;  // 0: the server speaks no TLS (or is older than TLS)
  std::string fingerprint;     // its certificate's SHA-256, "AB:CD:..."
  std::uint16_t web_port = 0;  // the web client's; 0: none (or a server from before it)
};

// "LOCHAT-SERVER 1 port=4444 users=3 name=Office chat<blanks> tls=4445 sha256=AB:CD:... web=4446"
// (tls= and sha256= only for a server with TLS, web= only with the web client
// on). The fields clients from before TLS read come first, in their order;
// with newer fields after it, the name is padded with blanks to kMaxNameLength
// bytes, as those clients read that much of it and no more.
std::string format_reply(const ServerInfo& info);
// nullopt for anything that is not a well-formed version-1 reply. Fields it
// does not know, after the padded name (or, as servers sent them for a while,
// between users= and name=), are skipped, so later servers may add some.
std::optional<ServerInfo> parse_reply(std::string_view datagram);
// True only for a version-1 probe (an optional trailing "\n" allowed).
bool is_probe(std::string_view datagram);

// One broadcast address per interface that is up, can broadcast and is not loopback.
struct Interface {
  std::string name;
  std::string broadcast;
};
std::vector<Interface> broadcast_interfaces();

// Broadcasts a probe on every such interface and collects the replies that
// arrive within `wait`, one per server.
std::vector<ServerInfo> discover(std::uint16_t port, std::chrono::milliseconds wait);

// Answers probes on UDP `port` on its own thread until destroyed. Replies are
// rate-limited (a global token bucket), so the responder cannot be used as a
// traffic amplifier; malformed or oversized probes are ignored.
class Responder {
 public:
  using UsersOnline = std::function<std::size_t()>;

  Responder(const std::string& host, std::uint16_t port, std::string server_name,
            std::uint16_t tcp_port, UsersOnline users_online, std::uint16_t tls_port = 0,
            std::string fingerprint = {}, std::uint16_t web_port = 0);
  ~Responder();
  Responder(const Responder&) = delete;
  Responder& operator=(const Responder&) = delete;

  [[nodiscard]] std::uint16_t port() const { return port_; }

 private:
  void serve();
  void answer_one();

  FileDescriptor socket_;
  std::uint16_t port_ = 0;
  const std::string server_name_;
  const std::uint16_t tcp_port_;
  const std::uint16_t tls_port_;
  const std::string fingerprint_;
  const std::uint16_t web_port_;
  UsersOnline users_online_;
  EventFdWake wake_;
  std::atomic<bool> stopping_{false};
  TokenBucket replies_;  // responder thread only
  std::thread thread_;
};

}  // namespace lochat::discovery
