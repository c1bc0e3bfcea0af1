#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lochat/net/socket.hpp"

// Helpers shared by the integration and end-to-end tests. Everything talks to
// 127.0.0.1 only, and every wait has a deadline.
namespace lochat::test {

using namespace std::chrono_literals;
inline constexpr std::chrono::milliseconds kPatience = 10s;

// Debian's openssl (scripts/install-deps.sh): the tests' own TLS clients and keys.
inline constexpr const char* kOpenssl = "/usr/bin/openssl";

// The milliseconds left until `deadline`, as poll(2) takes them (0 once it has passed).
int millis_left(std::chrono::steady_clock::time_point deadline);

// Polls `condition` until it holds or `timeout` passes; true if it held.
bool eventually(const std::function<bool()>& condition,
                std::chrono::milliseconds timeout = kPatience);

// A TCP connection to 127.0.0.1:port that never means to read: its receive
// buffer is shrunk before connecting (shrinking it later makes TCP retransmit
// into a closed window for seconds).
FileDescriptor connect_stalling(std::uint16_t port);

// A fresh directory under the system's temporary one, named after `prefix`,
// this process and a count; removed, with all it holds, when destroyed.
class ScratchDirectory {
 public:
  explicit ScratchDirectory(const std::string& prefix);
  ~ScratchDirectory();
  ScratchDirectory(const ScratchDirectory&) = delete;
  ScratchDirectory& operator=(const ScratchDirectory&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A TCP connection to 127.0.0.1:port from `source` (any 127.x.y.z: on
// loopback each is another machine to the server, as an alias is on a LAN).
FileDescriptor connect_from(const std::string& source, std::uint16_t port);

// A bare TCP line client, like `nc`, to speak the wire protocol in tests.
class LineClient {
 public:
  explicit LineClient(std::uint16_t port, const std::string& host = "127.0.0.1");
  // A client that never reads (connect_stalling).
  static LineClient staller(std::uint16_t port);
  // A client whose source address is `source` (any 127.x.y.z: on loopback each
  // is another machine to the server, as an alias is on a LAN).
  static LineClient from(const std::string& source, std::uint16_t port);

  void send_raw(std::string_view bytes);
  // Like send_raw, but false (no exception) when the server stops taking
  // bytes before `deadline`, or closes the connection.
  bool try_send_raw(std::string_view bytes, std::chrono::steady_clock::time_point deadline);
  void send_line(std::string_view text);
  // The next whole line without its "\n"; nullopt on timeout or end of stream.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout = kPatience);
  // The next line that is not a server notice ("*** ..."): presence notices
  // arrive whenever others come and go, so tests about messages skip them.
  std::optional<std::string> read_chat_line(std::chrono::milliseconds timeout = kPatience);
  // Reads lines until one equals `expected`; false if the stream ended or timed out first.
  bool read_until(std::string_view expected, std::chrono::milliseconds timeout = kPatience);
  // True if the server closes the connection within `timeout` (lines before that are skipped).
  bool wait_closed(std::chrono::milliseconds timeout = kPatience);
  // True if the server resets the connection within `timeout`. Reads nothing:
  // a client that never reads stays one while it waits.
  bool wait_reset(std::chrono::milliseconds timeout = kPatience);
  // True if no line arrives within `quiet` (used to show something was not sent).
  bool nothing_within(std::chrono::milliseconds quiet);
  [[nodiscard]] Endpoint local_endpoint() const;
  [[nodiscard]] int fd() const { return socket_.get(); }
  void close() { socket_.reset(); }

 private:
  explicit LineClient(FileDescriptor connected) : socket_(std::move(connected)) {}

  FileDescriptor socket_;
  std::string buffer_;
  bool eof_ = false;
};

// A child process with pipes on stdin, stdout and stderr; killed (SIGKILL) and
// reaped by the destructor if still running. Only processes we started are signalled.
class ChildProcess {
 public:
  explicit ChildProcess(const std::vector<std::string>& argv,
                        const std::vector<std::string>& extra_env = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  void write_stdin(std::string_view bytes);
  void close_stdin();
  std::optional<std::string> read_stdout_line(std::chrono::milliseconds timeout = kPatience);
  std::optional<std::string> read_stderr_line(std::chrono::milliseconds timeout = kPatience);
  // Reads stdout (or stderr) lines until one contains `needle`; false on timeout/EOF.
  bool stdout_contains(std::string_view needle, std::chrono::milliseconds timeout = kPatience);
  bool stderr_contains(std::string_view needle, std::chrono::milliseconds timeout = kPatience);
  void send_signal(int signal);
  // The exit code (128+N when killed by signal N), or nullopt if still running at the deadline.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout = kPatience);
  [[nodiscard]] pid_t pid() const { return pid_; }

 private:
  struct Stream {
    FileDescriptor fd;
    std::string buffer;
    bool eof = false;
  };
  static std::optional<std::string> read_line_from(Stream& stream,
                                                   std::chrono::milliseconds timeout);

  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  FileDescriptor stdin_;
  Stream stdout_;
  Stream stderr_;
};

// Starts the real lochat-server on 127.0.0.1, port 0 chosen by the kernel (unless
// extra_args has "--port"), and reads the bound port from its log line
// "Listening on 127.0.0.1:PORT". TLS is off unless extra_args has "--tls-port";
// then the TLS port and the fingerprint are read from the log too.
// `wrapper` goes before the binary (e.g. valgrind and its options).
class ServerProcess {
 public:
  explicit ServerProcess(std::vector<std::string> extra_args = {},
                         std::vector<std::string> wrapper = {});
  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] std::uint16_t tls_port() const { return tls_port_; }
  [[nodiscard]] const std::string& fingerprint() const { return fingerprint_; }
  ChildProcess& process() { return *process_; }
  // The peer port of the next client the server logs as connected
  // ("Connected to: 127.0.0.1, PORT (N online)"). The log line is written before
  // the session sends anything, so once a client has read its welcome its line is there.
  std::optional<std::uint16_t> next_connected_port();
  // The first group of `pattern` in the next log line that matches it.
  std::string read_logged(const std::string& pattern);

 private:
  std::uint16_t read_logged_port(const std::string& pattern);

  std::unique_ptr<ChildProcess> process_;
  std::uint16_t port_ = 0;
  std::uint16_t tls_port_ = 0;
  std::string fingerprint_;
};

// The resident memory of process `pid`, in bytes (0 if it is gone).
std::uint64_t resident_bytes(pid_t pid);

std::string server_binary();
std::string client_binary();

}  // namespace lochat::test
