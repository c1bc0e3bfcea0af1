#include "test_support.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <filesystem>
#include <regex>
#include <stdexcept>
#include <thread>

#include "lochat/bench.hpp"

extern char** environ;

namespace lochat::test {

namespace {

using Clock = std::chrono::steady_clock;

// Takes one line out of `buffer`, if it holds a whole one.
std::optional<std::string> take_line(std::string& buffer) {
  const auto newline = buffer.find('\n');
  if (newline == std::string::npos) return std::nullopt;
  std::string line = buffer.substr(0, newline);
  buffer.erase(0, newline + 1);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

// Reads from fd into buffer until a line is complete, EOF, or the deadline.
std::optional<std::string> read_line_with_deadline(int fd, std::string& buffer, bool& eof,
                                                   Clock::time_point deadline) {
  while (true) {
    if (auto line = take_line(buffer)) return line;
    if (eof) return std::nullopt;
    pollfd readable{fd, POLLIN, 0};
    const int ready = ::poll(&readable, 1, millis_left(deadline));
    if (ready == 0) return std::nullopt;
    if (ready < 0) {
      if (errno != EINTR) eof = true;  // never fall through to a blocking read
      continue;
    }
    std::array<char, 4096> chunk;
    const auto got = ::read(fd, chunk.data(), chunk.size());
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      eof = true;
      continue;
    }
    buffer.append(chunk.data(), static_cast<std::size_t>(got));
  }
}

void make_pipe(std::array<int, 2>& ends) {
  if (::pipe2(ends.data(), O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
}

}  // namespace

int millis_left(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!condition()) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

LineClient::LineClient(std::uint16_t port, const std::string& host)
    : socket_(connect_tcp(host, port)) {}

FileDescriptor connect_stalling(std::uint16_t port) {
  FileDescriptor socket(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const int tiny = 4096;
  ::setsockopt(socket.get(), SOL_SOCKET, SO_RCVBUF, &tiny, sizeof tiny);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(socket.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    throw std::runtime_error("connect_stalling: connect failed");
  }
  return socket;
}

LineClient LineClient::staller(std::uint16_t port) {
  return LineClient(connect_stalling(port));
}

ScratchDirectory::ScratchDirectory(const std::string& prefix) {
  static std::atomic<int> made{0};
  path_ = std::filesystem::temp_directory_path() /
          (prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(++made));
  std::filesystem::create_directories(path_);
}

ScratchDirectory::~ScratchDirectory() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

FileDescriptor connect_from(const std::string& source, std::uint16_t port) {
  FileDescriptor socket(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in local{};
  local.sin_family = AF_INET;
  sockaddr_in server{};
  server.sin_family = AF_INET;
  server.sin_port = htons(port);
  server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::inet_pton(AF_INET, source.c_str(), &local.sin_addr) != 1 ||
      ::bind(socket.get(), reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 ||
      ::connect(socket.get(), reinterpret_cast<sockaddr*>(&server), sizeof server) != 0) {
    throw std::runtime_error("connect_from " + source + ": bind or connect failed");
  }
  return socket;
}

LineClient LineClient::from(const std::string& source, std::uint16_t port) {
  return LineClient(connect_from(source, port));
}

void LineClient::send_raw(std::string_view bytes) {
  if (!send_all(socket_, bytes, Clock::now() + kPatience)) {
    throw std::runtime_error("LineClient: send failed");
  }
}

bool LineClient::try_send_raw(std::string_view bytes, Clock::time_point deadline) {
  return send_all(socket_, bytes, deadline);
}

void LineClient::send_line(std::string_view text) {
  send_raw(std::string(text) + "\n");
}

std::optional<std::string> LineClient::read_line(std::chrono::milliseconds timeout) {
  return read_line_with_deadline(socket_.get(), buffer_, eof_, Clock::now() + timeout);
}

std::optional<std::string> LineClient::read_chat_line(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (auto line = read_line_with_deadline(socket_.get(), buffer_, eof_, deadline)) {
    if (!line->starts_with("*** ")) return line;
  }
  return std::nullopt;
}

bool LineClient::read_until(std::string_view expected, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (auto line = read_line_with_deadline(socket_.get(), buffer_, eof_, deadline)) {
    if (*line == expected) return true;
  }
  return false;
}

bool LineClient::wait_closed(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (read_line_with_deadline(socket_.get(), buffer_, eof_, deadline)) {
  }
  return eof_;
}

bool LineClient::wait_reset(std::chrono::milliseconds timeout) {
  pollfd hung_up{socket_.get(), 0, 0};  // POLLERR and POLLHUP are always reported
  return ::poll(&hung_up, 1, static_cast<int>(timeout.count())) > 0 &&
         (hung_up.revents & (POLLERR | POLLHUP)) != 0;
}

bool LineClient::nothing_within(std::chrono::milliseconds quiet) {
  return !read_line_with_deadline(socket_.get(), buffer_, eof_, Clock::now() + quiet).has_value();
}

Endpoint LineClient::local_endpoint() const {
  Endpoint endpoint{"127.0.0.1", local_port(socket_)};
  return endpoint;
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv,
                           const std::vector<std::string>& extra_env) {
  std::array<int, 2> in{}, out{}, err{};
  make_pipe(in);
  make_pipe(out);
  make_pipe(err);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
  // A child that has exited must make write_stdin throw, not kill the whole
  // test binary with SIGPIPE; the child itself still gets the default action.
  static const bool sigpipe_ignored = [] {
    std::signal(SIGPIPE, SIG_IGN);
    return true;
  }();
  (void)sigpipe_ignored;
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t default_signals;
  sigemptyset(&default_signals);
  sigaddset(&default_signals, SIGPIPE);
  posix_spawnattr_setsigdefault(&attributes, &default_signals);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF);

  std::vector<std::string> environment;
  for (char** entry = environ; *entry != nullptr; ++entry) environment.emplace_back(*entry);
  environment.insert(environment.end(), extra_env.begin(), extra_env.end());
  std::vector<char*> env_pointers;
  for (auto& entry : environment) env_pointers.push_back(entry.data());
  env_pointers.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> arg_pointers;
  for (auto& arg : args) arg_pointers.push_back(arg.data());
  arg_pointers.push_back(nullptr);

  const int status = posix_spawn(&pid_, arg_pointers[0], &actions, &attributes, arg_pointers.data(),
                                 env_pointers.data());
  posix_spawnattr_destroy(&attributes);
  posix_spawn_file_actions_destroy(&actions);
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  stdin_ = FileDescriptor(in[1]);
  stdout_.fd = FileDescriptor(out[0]);
  stderr_.fd = FileDescriptor(err[0]);
  if (status != 0) throw std::runtime_error("cannot start " + argv.front());
}

ChildProcess::~ChildProcess() {
  if (!exit_code_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

void ChildProcess::write_stdin(std::string_view bytes) {
  while (!bytes.empty()) {
    const auto written = ::write(stdin_.get(), bytes.data(), bytes.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) throw std::runtime_error("write to child stdin failed");
    bytes.remove_prefix(static_cast<std::size_t>(written));
  }
}

void ChildProcess::close_stdin() {
  stdin_.reset();
}

std::optional<std::string> ChildProcess::read_line_from(Stream& stream,
                                                        std::chrono::milliseconds timeout) {
  return read_line_with_deadline(stream.fd.get(), stream.buffer, stream.eof,
                                 Clock::now() + timeout);
}

std::optional<std::string> ChildProcess::read_stdout_line(std::chrono::milliseconds timeout) {
  return read_line_from(stdout_, timeout);
}

std::optional<std::string> ChildProcess::read_stderr_line(std::chrono::milliseconds timeout) {
  return read_line_from(stderr_, timeout);
}

bool ChildProcess::stdout_contains(std::string_view needle, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (auto line =
             read_line_with_deadline(stdout_.fd.get(), stdout_.buffer, stdout_.eof, deadline)) {
    if (line->find(needle) != std::string::npos) return true;
  }
  return false;
}

bool ChildProcess::stderr_contains(std::string_view needle, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (auto line =
             read_line_with_deadline(stderr_.fd.get(), stderr_.buffer, stderr_.eof, deadline)) {
    if (line->find(needle) != std::string::npos) return true;
  }
  return false;
}

void ChildProcess::send_signal(int signal) {
  if (!exit_code_) ::kill(pid_, signal);
}

std::optional<int> ChildProcess::wait_exit(std::chrono::milliseconds timeout) {
  if (exit_code_) return exit_code_;
  int status = 0;
  const bool exited =
      eventually([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; }, timeout);
  if (!exited) return std::nullopt;
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return exit_code_;
}

ServerProcess::ServerProcess(std::vector<std::string> extra_args,
                             std::vector<std::string> wrapper) {
  std::vector<std::string> argv = std::move(wrapper);
  argv.insert(argv.end(), {server_binary(), "--host", "127.0.0.1"});
  const auto given = [&](std::string_view flag) {
    return std::find(extra_args.begin(), extra_args.end(), flag) != extra_args.end();
  };
  // Port 0 (the kernel picks) unless the caller names one, e.g. to restart on the same port.
  if (!given("--port")) argv.insert(argv.end(), {"--port", "0"});
  // TLS only for the tests that ask for it (with --tls-port): the others'
  // lochat clients find nothing on the TLS port and chat in clear.
  const bool tls = given("--tls-port");
  if (!tls) argv.emplace_back("--no-tls");
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  process_ = std::make_unique<ChildProcess>(argv);
  port_ = read_logged_port(R"(Listening on 127\.0\.0\.1:(\d+))");
  if (!tls) return;
  tls_port_ = read_logged_port(R"(Listening for TLS on 127\.0\.0\.1:(\d+))");
  fingerprint_ = read_logged(R"(TLS certificate SHA-256 fingerprint: ([0-9A-F:]+))");
}

std::string ServerProcess::read_logged(const std::string& pattern) {
  const std::regex wanted(pattern);
  const auto deadline = Clock::now() + kPatience;
  while (auto line = process_->read_stderr_line(
             std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()))) {
    std::smatch match;
    if (std::regex_search(*line, match, wanted)) return match[1].str();
  }
  throw std::runtime_error("lochat-server did not log " + pattern);
}

std::uint16_t ServerProcess::read_logged_port(const std::string& pattern) {
  return static_cast<std::uint16_t>(std::stoi(read_logged(pattern)));
}

std::optional<std::uint16_t> ServerProcess::next_connected_port() {
  static const std::regex connected(R"(Connected to: 127\.0\.0\.1, (\d+) )");
  while (auto line = process_->read_stderr_line()) {
    std::smatch match;
    if (std::regex_search(*line, match, connected)) {
      return static_cast<std::uint16_t>(std::stoi(match[1].str()));
    }
  }
  return std::nullopt;
}

std::uint64_t resident_bytes(pid_t pid) {
  const auto stats = bench::read_process_stats(pid);
  return stats ? stats->rss_bytes : 0;
}

std::string server_binary() {
  return LOCHAT_SERVER_BIN;
}
std::string client_binary() {
  return LOCHAT_CLIENT_BIN;
}

}  // namespace lochat::test
