#include "lochat/net/discovery.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <set>
#include <utility>

#include "lochat/wire/text.hpp"

namespace lochat::discovery {

namespace {

constexpr std::string_view kReplyPrefix = "LOCHAT-SERVER 1 ";
// Replies a second, whoever asks: far below anything useful for amplification.
constexpr double kRepliesPerSecond = 20;
constexpr double kReplyBurst = 20;
// "AB:" per byte of a SHA-256, less the last colon.
constexpr std::size_t kFingerprintLength = 32 * 3 - 1;

std::string_view trim_newline(std::string_view text) {
  if (text.ends_with('\n')) text.remove_suffix(1);
  return text;
}

// Reads "key=value " at the front of `text`; the value runs to the next blank.
std::optional<std::string_view> take_field(std::string_view& text, std::string_view key) {
  if (!text.starts_with(key) || text.size() <= key.size() || text[key.size()] != '=') {
    return std::nullopt;
  }
  text.remove_prefix(key.size() + 1);
  const auto end = text.find(' ');
  const auto value = text.substr(0, end);
  text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
  return value;
}

template <typename Number>
std::optional<Number> to_number(std::string_view text) {
  Number value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

sockaddr_in ipv4_address(const std::string& address, std::uint16_t port) {
  sockaddr_in socket_address{};
  socket_address.sin_family = AF_INET;
  socket_address.sin_port = htons(port);
  ::inet_pton(AF_INET, address.c_str(), &socket_address.sin_addr);
  return socket_address;
}

std::string address_text(const sockaddr_in& address) {
  std::array<char, INET_ADDRSTRLEN> text{};
  ::inet_ntop(AF_INET, &address.sin_addr, text.data(), text.size());
  return text.data();
}

FileDescriptor udp_socket() {
  FileDescriptor socket(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!socket.valid())
    throw NetError(std::string("cannot open a UDP socket: ") + std::strerror(errno));
  return socket;
}

// Receives one datagram within `timeout`; nullopt when none came.
std::optional<std::pair<std::string, sockaddr_in>> receive_datagram(const FileDescriptor& socket,
                                                                    int timeout_ms) {
  pollfd readable{socket.get(), POLLIN, 0};
  if (::poll(&readable, 1, timeout_ms) <= 0) return std::nullopt;
  std::array<char, kMaxDatagram + 1> buffer{};
  sockaddr_in from{};
  socklen_t from_length = sizeof from;
  const auto received = ::recvfrom(socket.get(), buffer.data(), buffer.size(), MSG_DONTWAIT,
                                   reinterpret_cast<sockaddr*>(&from), &from_length);
  if (received < 0) return std::pair<std::string, sockaddr_in>{};
  return std::pair{std::string(buffer.data(), static_cast<std::size_t>(received)), from};
}

}  // namespace

// The fields clients before TLS know come first, in their order; their name
// ran to the end of the datagram (at most kMaxNameLength bytes of it), so
// newer fields follow a name padded with blanks to that length: such a
// client reads the name with trailing blanks, and nothing of the rest.
std::string format_reply(const ServerInfo& info) {
  const std::string tls =
      info.tls_port == 0 ? std::string()
                         : " tls=" + std::to_string(info.tls_port) + " sha256=" + info.fingerprint;
  const std::string web = info.web_port == 0 ? "" : " web=" + std::to_string(info.web_port);
  std::string name = info.name.substr(0, kMaxNameLength);
  if (!tls.empty() || !web.empty()) name.resize(kMaxNameLength, ' ');
  return std::string(kReplyPrefix) + "port=" + std::to_string(info.port) +
         " users=" + std::to_string(info.users) + " name=" + name + tls + web + "\n";
}

namespace {

bool is_fingerprint(std::string_view text) {
  if (text.size() != kFingerprintLength) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool colon_here = i % 3 == 2;
    if (colon_here != (text[i] == ':') ||
        (!colon_here && std::isxdigit(static_cast<unsigned char>(text[i])) == 0))
      return false;
  }
  return true;
}

bool take_known_field(std::string_view key, std::string_view value, ServerInfo& info) {
  if (key == "tls") {
    const auto tls_port = to_number<std::uint16_t>(value);
    if (!tls_port || *tls_port == 0) return false;
    info.tls_port = *tls_port;
  } else if (key == "sha256") {
    if (!is_fingerprint(value)) return false;
    info.fingerprint = value;
  } else if (key == "web") {
    info.web_port = to_number<std::uint16_t>(value).value_or(0);
  }
  return true;  // unknown keys are a later server's, skipped
}

// Fields "key=value" separated by blanks at the front of `rest`, up to
// "name=" (before_name: as servers between TLS and this order sent them) or
// to the end; false if one is malformed.
bool take_optional_fields(std::string_view& rest, ServerInfo& info, bool before_name) {
  while (before_name ? !rest.starts_with("name=") : !rest.empty()) {
    const auto equals = rest.find('=');
    const auto blank = rest.find(' ');
    if (equals == std::string_view::npos || equals == 0 ||
        (blank == std::string_view::npos ? before_name : blank < equals)) {
      return false;
    }
    const auto key = rest.substr(0, equals);
    if (!take_known_field(key, *take_field(rest, key), info)) return false;
  }
  return true;
}

// The name, and the fields after it when there are: the name then fills
// kMaxNameLength bytes, padded with blanks (format_reply).
bool take_name_and_fields(std::string_view rest, ServerInfo& info) {
  std::string_view name = rest.substr(std::string_view("name=").size());
  if (name.size() > kMaxNameLength) {
    std::string_view after = name.substr(kMaxNameLength);
    name = name.substr(0, kMaxNameLength);
    if (!after.starts_with(' ')) return false;
    after.remove_prefix(1);
    if (!take_optional_fields(after, info, false)) return false;
  }
  while (name.ends_with(' ')) name.remove_suffix(1);
  // Any host on the LAN can answer a probe: its name reaches a terminal only cleaned.
  info.name = text::sanitize(name);
  return true;
}

}  // namespace

std::optional<ServerInfo> parse_reply(std::string_view datagram) {
  if (datagram.size() > kMaxDatagram || !datagram.starts_with(kReplyPrefix)) return std::nullopt;
  std::string_view rest = trim_newline(datagram.substr(kReplyPrefix.size()));
  const auto port = take_field(rest, "port");
  const auto users = take_field(rest, "users");
  ServerInfo info;
  if (!port || !users || !take_optional_fields(rest, info, true) ||
      !take_name_and_fields(rest, info)) {
    return std::nullopt;
  }
  // A TLS port is nothing to a client without the fingerprint to pin, and the other way round.
  if ((info.tls_port == 0) != info.fingerprint.empty()) return std::nullopt;
  const auto port_number = to_number<std::uint16_t>(*port);
  const auto user_count = to_number<std::size_t>(*users);
  if (!port_number || *port_number == 0 || !user_count) return std::nullopt;
  info.port = *port_number;
  info.users = *user_count;
  return info;
}

bool is_probe(std::string_view datagram) {
  return trim_newline(datagram) == kProbe;
}

std::vector<Interface> broadcast_interfaces() {
  std::vector<Interface> found;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return found;
  for (const ifaddrs* entry = list; entry != nullptr; entry = entry->ifa_next) {
    const unsigned flags = entry->ifa_flags;
    if (entry->ifa_addr == nullptr || entry->ifa_addr->sa_family != AF_INET ||
        (flags & IFF_UP) == 0 || (flags & IFF_BROADCAST) == 0 || (flags & IFF_LOOPBACK) != 0 ||
        entry->ifa_broadaddr == nullptr) {
      continue;
    }
    found.push_back({entry->ifa_name,
                     address_text(*reinterpret_cast<const sockaddr_in*>(entry->ifa_broadaddr))});
  }
  ::freeifaddrs(list);
  return found;
}

std::vector<ServerInfo> discover(std::uint16_t port, std::chrono::milliseconds wait) {
  const auto socket = udp_socket();
  const int enable = 1;
  ::setsockopt(socket.get(), SOL_SOCKET, SO_BROADCAST, &enable, sizeof enable);
  for (const auto& interface : broadcast_interfaces()) {
    const auto target = ipv4_address(interface.broadcast, port);
    ::sendto(socket.get(), kProbe.data(), kProbe.size(), 0,
             reinterpret_cast<const sockaddr*>(&target), sizeof target);
  }
  std::vector<ServerInfo> servers;
  std::set<std::pair<std::string, std::uint16_t>> seen;
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    const auto datagram = receive_datagram(socket, static_cast<int>(left.count()));
    if (!datagram) break;
    auto info = parse_reply(datagram->first);
    if (!info) continue;
    info->address = address_text(datagram->second);
    if (seen.emplace(info->address, info->port).second) servers.push_back(std::move(*info));
  }
  return servers;
}

Responder::Responder(const std::string& host, std::uint16_t port, std::string server_name,
                     std::uint16_t tcp_port, UsersOnline users_online, std::uint16_t tls_port,
                     std::string fingerprint, std::uint16_t web_port)
    : socket_(udp_socket()),
      server_name_(std::move(server_name)),
      tcp_port_(tcp_port),
      tls_port_(tls_port),
      fingerprint_(std::move(fingerprint)),
      web_port_(web_port),
      users_online_(std::move(users_online)),
      replies_(kRepliesPerSecond, kReplyBurst, std::chrono::steady_clock::now()) {
  const int enable = 1;
  ::setsockopt(socket_.get(), SOL_SOCKET, SO_REUSEADDR, &enable, sizeof enable);
  const auto address = ipv4_address(host, port);
  if (::bind(socket_.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    throw NetError("cannot answer discovery on UDP " + host + ":" + std::to_string(port) + ": " +
                   std::strerror(errno));
  }
  port_ = local_port(socket_);
  thread_ = std::thread([this] { serve(); });
}

Responder::~Responder() {
  stopping_.store(true);
  wake_.notify();
  thread_.join();
}

void Responder::serve() {
  while (!stopping_.load()) {
    std::array<pollfd, 2> watched{{{socket_.get(), POLLIN, 0}, {wake_.fd(), POLLIN, 0}}};
    if (::poll(watched.data(), watched.size(), -1) < 0 && errno != EINTR) return;
    if ((watched[0].revents & POLLIN) != 0) answer_one();
  }
}

void Responder::answer_one() {
  const auto datagram = receive_datagram(socket_, 0);
  if (!datagram || !is_probe(datagram->first)) return;
  if (!replies_.try_take(std::chrono::steady_clock::now())) return;
  const std::string reply = format_reply(
      {server_name_, {}, tcp_port_, users_online_(), tls_port_, fingerprint_, web_port_});
  ::sendto(socket_.get(), reply.data(), reply.size(), 0,
           reinterpret_cast<const sockaddr*>(&datagram->second), sizeof datagram->second);
}

}  // namespace lochat::discovery
