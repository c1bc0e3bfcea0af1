#pragma once

// The real `lochat` in a pseudo-terminal, typed at like a person at a
// keyboard, for the end-to-end terminal tests; and a silent line server that
// never acknowledges. Each object belongs to the test thread that made it.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <functional>
#include <optional>
#include <regex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "lochat/client/view.hpp"
#include "lochat/net/socket.hpp"
#include "lochat/wire/protocol.hpp"
#include "terminal_screen.hpp"
#include "test_support.hpp"

namespace lochat::test {

using Clock = std::chrono::steady_clock;

using protocol::kWelcome;
inline constexpr std::string_view kCheckMark = "✓";

// The terminal a PtyClient stands for: how its screen takes a change of width.
// `lochat` is told as a real one would tell it (xterm sets XTERM_VERSION).
enum class TerminalKind { reflowing, xterm };

// `lochat` on the slave side of a pty, 80x24. Its output (stdout and stderr
// both) is read from the master side as it comes, with a deadline, and kept
// as bytes and as the screen a terminal would show; the destructor kills and
// reaps the child if it is still running.
class PtyClient {
 public:
  // `extra_args` go after --host/--port; `colour` leaves NO_COLOR unset.
  explicit PtyClient(std::uint16_t port, const std::vector<std::string>& extra_args = {},
                     bool colour = false, TerminalKind kind = TerminalKind::reflowing)
      : kind_(kind) {
    // Everything exec needs is built before forking: the child only calls exec.
    std::vector<std::string> args{client_binary(), "--host", "127.0.0.1", "--port",
                                  std::to_string(port)};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    std::vector<std::string> environment{"TERM=xterm", "LC_ALL=C.UTF-8"};
    if (!colour) environment.emplace_back("NO_COLOR=1");
    if (kind == TerminalKind::xterm) environment.emplace_back("XTERM_VERSION=XTerm(379)");
    for (char** entry = environ; *entry != nullptr; ++entry) {
      const std::string_view variable(*entry);
      if (!variable.starts_with("TERM=") && !variable.starts_with("NO_COLOR=") &&
          !variable.starts_with("LC_ALL=") && !variable.starts_with("XTERM_VERSION=") &&
          !variable.starts_with("TMUX=")) {
        environment.emplace_back(variable);
      }
    }
    const auto arg_pointers = pointers_to(args);
    const auto env_pointers = pointers_to(environment);
    winsize size{};
    size.ws_row = kRows;
    size.ws_col = kColumns;
    int master = -1;
    pid_ = ::forkpty(&master, nullptr, nullptr, &size);
    if (pid_ < 0) throw std::runtime_error("forkpty failed");
    if (pid_ == 0) {
      ::execve(arg_pointers[0], arg_pointers.data(), env_pointers.data());
      ::_exit(127);
    }
    master_ = FileDescriptor(master);
  }

  ~PtyClient() {
    if (exit_code_ || pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }

  PtyClient(const PtyClient&) = delete;
  PtyClient& operator=(const PtyClient&) = delete;

  void type(std::string_view keys) {
    if (::write(master_.get(), keys.data(), keys.size()) != static_cast<ssize_t>(keys.size())) {
      throw std::runtime_error("cannot type into the pty");
    }
  }

  [[nodiscard]] pid_t pid() const { return pid_; }

  // Everything the client has written so far, escape codes included.
  [[nodiscard]] const std::string& output() const { return output_; }

  // What a terminal would show now, one string a row.
  [[nodiscard]] const TerminalScreen& screen() const { return screen_; }

  // Reads output until `condition` holds for the screen; false at the deadline or end of output.
  bool screen_until(const std::function<bool(const TerminalScreen&)>& condition,
                    std::chrono::milliseconds timeout = kPatience) {
    return read_until([&](const std::string&) { return condition(screen_); }, timeout);
  }

  // The window changes size, as when a person drags its edge: the screen is
  // redrawn the terminal's way and the kernel sends lochat SIGWINCH.
  void resize(std::uint16_t rows, std::uint16_t columns) {
    winsize size{};
    size.ws_row = rows;
    size.ws_col = columns;
    screen_.resize(rows, columns, kind_ == TerminalKind::reflowing);
    if (::ioctl(master_.get(), TIOCSWINSZ, &size) != 0) {
      throw std::runtime_error("cannot resize the pty");
    }
  }

  // Reads output until `condition` holds for all of it; false at the deadline or end of output.
  bool read_until(const std::function<bool(const std::string&)>& condition,
                  std::chrono::milliseconds timeout = kPatience) {
    const auto deadline = Clock::now() + timeout;
    while (!condition(output_)) {
      if (ended_ || !read_some(deadline)) return false;
    }
    return true;
  }

  // Reads until `needle` appears at or after byte `from` of the output.
  bool shows(std::string_view needle, std::size_t from = 0) {
    return read_until([&](const std::string& all) { return all.find(needle, from) != npos; });
  }

  // The exit code once the child has closed the pty and exited; nullopt at the deadline.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout = kPatience) {
    if (!read_until([](const std::string&) { return false; }, timeout) && !ended_) return {};
    int status = 0;
    if (::waitpid(pid_, &status, 0) != pid_) return {};
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return exit_code_;
  }

  // A line-editing program turns off canonical input and echo; both are back once it is done.
  [[nodiscard]] bool terminal_restored() const {
    termios settings{};
    if (::tcgetattr(master_.get(), &settings) != 0) return false;
    return (settings.c_lflag & ICANON) != 0 && (settings.c_lflag & ECHO) != 0;
  }

  static constexpr std::size_t npos = std::string::npos;
  static constexpr std::uint16_t kRows = 24;
  static constexpr std::uint16_t kColumns = 80;

 private:
  static std::vector<char*> pointers_to(std::vector<std::string>& strings) {
    std::vector<char*> pointers;
    for (auto& text : strings) pointers.push_back(text.data());
    pointers.push_back(nullptr);
    return pointers;
  }

  // One read; false at the deadline. EIO on the master means every slave fd is closed.
  bool read_some(Clock::time_point deadline) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd watched{master_.get(), POLLIN, 0};
    const int ready = ::poll(&watched, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) return true;
    if (ready <= 0) return false;
    std::array<char, 4096> buffer{};
    const auto count = ::read(master_.get(), buffer.data(), buffer.size());
    if (count > 0) {
      output_.append(buffer.data(), static_cast<std::size_t>(count));
      screen_.feed(std::string_view(buffer.data(), static_cast<std::size_t>(count)));
    } else if (count == 0 || errno != EINTR) {
      ended_ = true;
    }
    return true;
  }

  TerminalKind kind_;
  pid_t pid_ = -1;
  FileDescriptor master_;
  std::string output_;
  TerminalScreen screen_{kRows, kColumns};
  bool ended_ = false;
  std::optional<int> exit_code_;
};

// A stand-in lochat-server that greets (and says it acknowledges each line, as
// lochat-server does) and then only listens: it never acknowledges anything,
// so the client's lines stay unconfirmed.
class SilentServer {
 public:
  SilentServer() : listener_(listen_tcp("127.0.0.1", 0, 1)) {}

  [[nodiscard]] std::uint16_t port() const { return local_port(listener_); }

  bool accept_and_greet() {
    if (!readable(listener_, Clock::now() + kPatience)) return false;
    connection_ = FileDescriptor(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    return connection_.valid() &&
           send_all(
               connection_,
               std::string(kWelcome) + "\n" +
                   protocol::self_description({protocol::kProtocolVersion, true, 10, 30, 4096}),
               Clock::now() + kPatience);
  }

  // Reads until the client has sent `line`; false at the deadline or end of stream.
  bool receive_line(std::string_view line) {
    const std::string wanted = std::string(line) + "\n";
    const auto deadline = Clock::now() + kPatience;
    while (received_.find(wanted) == std::string::npos) {
      if (!read_some(deadline)) return false;
    }
    return true;
  }

  // True once the client has stopped sending (half-closed or closed).
  bool wait_end_of_stream() {
    const auto deadline = Clock::now() + kPatience;
    while (!ended_) {
      if (!read_some(deadline) && !ended_) return false;
    }
    return true;
  }

  void hang_up() { connection_.reset(); }

 private:
  static bool readable(const FileDescriptor& socket, Clock::time_point deadline) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    pollfd watched{socket.get(), POLLIN, 0};
    return left.count() > 0 && ::poll(&watched, 1, static_cast<int>(left.count())) == 1;
  }

  // False at the deadline or at end of stream (which sets ended_).
  bool read_some(Clock::time_point deadline) {
    if (ended_ || !readable(connection_, deadline)) return false;
    std::array<char, 256> buffer{};
    const auto result = receive_some(connection_, buffer);
    if (result.status == ReadResult::Status::closed) {
      ended_ = true;
      return false;
    }
    received_.append(buffer.data(), result.bytes);
    return true;
  }

  FileDescriptor listener_;
  FileDescriptor connection_;
  std::string received_;
  bool ended_ = false;
};

// Some line of the output holds all of `parts`, in this order.
inline bool some_line_has(const std::string& output, const std::vector<std::string_view>& parts) {
  std::size_t line_start = 0;
  while (line_start < output.size()) {
    const auto line_end = std::min(output.find('\n', line_start), output.size());
    const std::string_view line(output.data() + line_start, line_end - line_start);
    std::size_t at = 0;
    bool all = true;
    for (const auto part : parts) {
      at = line.find(part, at);
      if (at == std::string_view::npos) {
        all = false;
        break;
      }
      at += part.size();
    }
    if (all) return true;
    line_start = line_end + 1;
  }
  return false;
}

// The line with `text` also says it was never confirmed (the mark may come before or after).
inline bool marked_not_confirmed(const std::string& output, std::string_view text) {
  return some_line_has(output, {text, "not confirmed"}) ||
         some_line_has(output, {"not confirmed", text});
}

}  // namespace lochat::test
