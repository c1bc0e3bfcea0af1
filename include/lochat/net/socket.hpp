#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

// Sockets as LoChat uses them: owned descriptors, TCP listen and connect,
// the socket options of a server thread per client, and reads and writes
// that never raise SIGPIPE. Free functions on one descriptor; any thread may
// call them on a socket it owns. No locks.
namespace lochat {

// A network failure worded for a person: one line, naming host, port and reason.
class NetError : public std::runtime_error {
 public:
  explicit NetError(const std::string& what, int error_code = 0)
      : std::runtime_error(what), code_(error_code) {}
  // The errno behind it, if one was (ECONNREFUSED: nothing listens there).
  [[nodiscard]] int code() const { return code_; }

 private:
  int code_;
};

// Owns one file descriptor and closes it exactly once. Move-only.
class FileDescriptor {
 public:
  FileDescriptor() = default;
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(FileDescriptor&& other) noexcept;
  FileDescriptor& operator=(FileDescriptor&& other) noexcept;
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor();

  [[nodiscard]] int get() const { return fd_; }
  [[nodiscard]] bool valid() const { return fd_ >= 0; }
  void reset();
  // Gives the descriptor to another owner (e.g. an Asio socket); this one is left empty.
  [[nodiscard]] int release() { return std::exchange(fd_, -1); }

 private:
  int fd_ = -1;
};

// Where a socket is connected: printed as "ip:port" ("[v6]:port" for IPv6).
struct Endpoint {
  std::string address;
  std::uint16_t port = 0;
  [[nodiscard]] std::string to_string() const;
};

// A listening TCP socket bound to host:port (port 0 picks a free one).
FileDescriptor listen_tcp(const std::string& host, std::uint16_t port, int backlog);
// A blocking TCP connection to host:port; NetError says why it failed.
FileDescriptor connect_tcp(const std::string& host, std::uint16_t port);

std::uint16_t local_port(const FileDescriptor& socket);
Endpoint peer_endpoint(const FileDescriptor& socket);
// The address and port the peer reached this socket at.
Endpoint local_endpoint(const FileDescriptor& socket);

// SO_RCVTIMEO and SO_SNDTIMEO, so a blocked call returns and its thread can look at shutdown.
void set_io_timeouts(const FileDescriptor& socket, std::chrono::milliseconds timeout);
void set_nonblocking(const FileDescriptor& socket);
void set_no_delay(const FileDescriptor& socket);
// TCP keepalive, tuned so a vanished peer is noticed in about two minutes, not two hours.
void set_keepalive(const FileDescriptor& socket);
void set_send_buffer(const FileDescriptor& socket, int bytes);
// Makes close() reset the connection at once, dropping unsent data: for a
// peer that stopped reading, whose backlog would otherwise linger in the
// kernel, retransmitted with back-off, long after we gave up on it.
void set_reset_on_close(const FileDescriptor& socket);

// Raises the soft limit on open files to the hard limit (a server needs one
// descriptor per client); returns the limit now in force.
std::size_t raise_open_file_limit();

// Writes all of `bytes` on a blocking socket (retrying partial writes and timeouts
// until `deadline`); false when the peer is gone or the deadline passed. Never raises SIGPIPE.
bool send_all(const FileDescriptor& socket, std::string_view bytes,
              std::chrono::steady_clock::time_point deadline);

// Bytes received on `socket` and not read yet (0 if it cannot tell).
std::size_t bytes_waiting(const FileDescriptor& socket);

// Result of one read: bytes read, or closed (EOF / reset), or nothing yet (timeout, EAGAIN).
struct ReadResult {
  enum class Status { data, closed, would_block };
  Status status = Status::closed;
  std::size_t bytes = 0;
};
ReadResult receive_some(const FileDescriptor& socket, std::span<char> buffer);

// Reads of unread input discarded before a close, bounded so a flooding peer
// cannot stall it: closing with unread input sends a reset, and the peer
// could lose the lines just written.
inline constexpr int kDiscardReadsBeforeClose = 16;
// For a peer turned away at once: one line, sent without blocking (a fresh
// socket's buffer takes it), then a half-close and the unread input discarded.
void say_and_half_close(const FileDescriptor& socket, std::string_view line);

}  // namespace lochat
