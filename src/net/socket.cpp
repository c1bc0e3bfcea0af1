#include "lochat/net/socket.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <functional>
#include <memory>
#include <string>

namespace lochat {

namespace {

std::string error_text(int error_number) {
  return std::strerror(error_number);
}

std::string host_port(const std::string& host, std::uint16_t port) {
  const bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

struct AddrInfoDeleter {
  void operator()(addrinfo* info) const { freeaddrinfo(info); }
};
using AddrInfoList = std::unique_ptr<addrinfo, AddrInfoDeleter>;

AddrInfoList resolve(const std::string& host, std::uint16_t port, bool passive,
                     const std::string& what) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = passive ? AI_PASSIVE : AI_ADDRCONFIG;
  addrinfo* found = nullptr;
  const auto service = std::to_string(port);
  const int status = getaddrinfo(host.c_str(), service.c_str(), &hints, &found);
  if (status != 0) {
    throw NetError(what + " " + host_port(host, port) + ": " + gai_strerror(status));
  }
  return AddrInfoList(found);
}

void set_int_option(const FileDescriptor& socket, int level, int option, int value) {
  ::setsockopt(socket.get(), level, option, &value, sizeof value);
}

timeval to_timeval(std::chrono::milliseconds duration) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(duration.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((duration.count() % 1000) * 1000);
  return tv;
}

bool wait_writable(const FileDescriptor& socket, std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return false;
  pollfd entry{socket.get(), POLLOUT, 0};
  return ::poll(&entry, 1, static_cast<int>(left.count())) > 0;
}

}  // namespace

FileDescriptor::FileDescriptor(FileDescriptor&& other) noexcept : fd_(other.fd_) {
  other.fd_ = -1;
}

FileDescriptor& FileDescriptor::operator=(FileDescriptor&& other) noexcept {
  if (this != &other) {
    reset();
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

FileDescriptor::~FileDescriptor() {
  reset();
}

void FileDescriptor::reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

std::string Endpoint::to_string() const {
  return host_port(address, port);
}

namespace {

// Opens a socket for each address `host` resolves to, in turn, until `use`
// succeeds on one; otherwise a NetError "<what> host:port: reason".
FileDescriptor first_usable_socket(
    const std::string& host, std::uint16_t port, bool passive, const std::string& what,
    const std::function<bool(const FileDescriptor&, const addrinfo&)>& use) {
  const auto addresses = resolve(host, port, passive, what);
  int last_error = 0;
  for (const addrinfo* entry = addresses.get(); entry != nullptr; entry = entry->ai_next) {
    FileDescriptor socket(
        ::socket(entry->ai_family, entry->ai_socktype | SOCK_CLOEXEC, entry->ai_protocol));
    if (socket.valid() && use(socket, *entry)) return socket;
    last_error = errno;
  }
  throw NetError(what + " " + host_port(host, port) + ": " + error_text(last_error), last_error);
}

}  // namespace

FileDescriptor listen_tcp(const std::string& host, std::uint16_t port, int backlog) {
  return first_usable_socket(host, port, true, "cannot listen on",
                             [backlog](const FileDescriptor& socket, const addrinfo& address) {
                               set_int_option(socket, SOL_SOCKET, SO_REUSEADDR, 1);
                               return ::bind(socket.get(), address.ai_addr, address.ai_addrlen) ==
                                          0 &&
                                      ::listen(socket.get(), backlog) == 0;
                             });
}

FileDescriptor connect_tcp(const std::string& host, std::uint16_t port) {
  auto connected = first_usable_socket(host, port, false, "cannot connect to",
                                       [](const FileDescriptor& socket, const addrinfo& address) {
                                         return ::connect(socket.get(), address.ai_addr,
                                                          address.ai_addrlen) == 0;
                                       });
  set_no_delay(connected);
  return connected;
}

std::uint16_t local_port(const FileDescriptor& socket) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  ::getsockname(socket.get(), reinterpret_cast<sockaddr*>(&address), &length);
  if (address.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&address)->sin6_port);
  }
  return ntohs(reinterpret_cast<const sockaddr_in*>(&address)->sin_port);
}

namespace {

// The address and port of getpeername or getsockname, as text; empty if it failed.
template <typename Name>
Endpoint endpoint_of(const FileDescriptor& socket, Name name) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  Endpoint endpoint;
  if (name(socket.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) return endpoint;
  if (address.ss_family != AF_INET && address.ss_family != AF_INET6) return endpoint;
  char text[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&address);
    ::inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
    endpoint.port = ntohs(v6->sin6_port);
  } else {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&address);
    ::inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text);
    endpoint.port = ntohs(v4->sin_port);
  }
  endpoint.address = text;
  return endpoint;
}

}  // namespace

Endpoint peer_endpoint(const FileDescriptor& socket) {
  return endpoint_of(socket, ::getpeername);
}

Endpoint local_endpoint(const FileDescriptor& socket) {
  return endpoint_of(socket, ::getsockname);
}

void set_io_timeouts(const FileDescriptor& socket, std::chrono::milliseconds timeout) {
  const timeval tv = to_timeval(timeout);
  ::setsockopt(socket.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(socket.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

void set_nonblocking(const FileDescriptor& socket) {
  const int flags = ::fcntl(socket.get(), F_GETFL);
  ::fcntl(socket.get(), F_SETFL, flags | O_NONBLOCK);
}

void set_no_delay(const FileDescriptor& socket) {
  set_int_option(socket, IPPROTO_TCP, TCP_NODELAY, 1);
}

void set_keepalive(const FileDescriptor& socket) {
  constexpr int kIdleSeconds = 60;
  constexpr int kProbeIntervalSeconds = 10;
  constexpr int kProbes = 6;
  set_int_option(socket, SOL_SOCKET, SO_KEEPALIVE, 1);
  set_int_option(socket, IPPROTO_TCP, TCP_KEEPIDLE, kIdleSeconds);
  set_int_option(socket, IPPROTO_TCP, TCP_KEEPINTVL, kProbeIntervalSeconds);
  set_int_option(socket, IPPROTO_TCP, TCP_KEEPCNT, kProbes);
}

std::size_t raise_open_file_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return static_cast<std::size_t>(limit.rlim_cur);
}

void set_send_buffer(const FileDescriptor& socket, int bytes) {
  set_int_option(socket, SOL_SOCKET, SO_SNDBUF, bytes);
}

void set_reset_on_close(const FileDescriptor& socket) {
  const linger abort_at_once{1, 0};
  ::setsockopt(socket.get(), SOL_SOCKET, SO_LINGER, &abort_at_once, sizeof abort_at_once);
}

bool send_all(const FileDescriptor& socket, std::string_view bytes,
              std::chrono::steady_clock::time_point deadline) {
  while (!bytes.empty()) {
    const auto sent = ::send(socket.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(sent));
      continue;
    }
    if (sent < 0 && errno == EINTR) continue;
    const bool full = sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    if (!full || !wait_writable(socket, deadline)) return false;
  }
  return true;
}

std::size_t bytes_waiting(const FileDescriptor& socket) {
  int waiting = 0;
  if (::ioctl(socket.get(), FIONREAD, &waiting) != 0 || waiting < 0) return 0;
  return static_cast<std::size_t>(waiting);
}

ReadResult receive_some(const FileDescriptor& socket, std::span<char> buffer) {
  while (true) {
    const auto received = ::recv(socket.get(), buffer.data(), buffer.size(), 0);
    if (received > 0) return {ReadResult::Status::data, static_cast<std::size_t>(received)};
    if (received == 0) return {ReadResult::Status::closed, 0};
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return {ReadResult::Status::would_block, 0};
    return {ReadResult::Status::closed, 0};
  }
}

void say_and_half_close(const FileDescriptor& socket, std::string_view line) {
  ::send(socket.get(), line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  ::shutdown(socket.get(), SHUT_WR);
  std::array<char, 4096> discard;
  for (int read = 0; read<kDiscardReadsBeforeClose&& ::recv(socket.get(), discard.data(),
                                                            discard.size(), MSG_DONTWAIT)> 0;
       ++read) {
  }
}

}  // namespace lochat
