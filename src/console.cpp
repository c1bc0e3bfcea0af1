#include "lochat/console.hpp"

#include <fcntl.h>
#include <poll.h>
#include <readline/history.h>
#include <readline/readline.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "lochat/client.hpp"
#include "lochat/framing.hpp"
#include "lochat/protocol.hpp"
#include "lochat/text.hpp"

namespace lochat {

namespace {

constexpr std::chrono::seconds kDrainAfterInputEnds{3};
constexpr std::chrono::seconds kWaitForName{2};
constexpr std::size_t kMaxInputLine = 64 * 1024;
constexpr std::string_view kPrompt = "> ";
constexpr std::string_view kQuit = ":q";

// Lines from the receive thread for the input thread. Only the input thread
// touches the terminal; the receive thread posts here and wakes it through a pipe.
class Mailbox {
 public:
  Mailbox() {
    std::array<int, 2> ends{};
    if (::pipe2(ends.data(), O_CLOEXEC | O_NONBLOCK) != 0) throw NetError("cannot create a pipe");
    read_end_ = FileDescriptor(ends[0]);
    write_end_ = FileDescriptor(ends[1]);
  }

  ChatClient::Callbacks callbacks() {
    return {[this](std::string_view line) { post(std::string(line)); },
            [this](bool by_server) {
              {
                std::lock_guard lock(mutex_);
                closed_by_server_ = by_server;
              }
              wake();
            }};
  }

  std::vector<std::string> take() {
    std::array<char, 256> drained{};
    while (::read(read_end_.get(), drained.data(), drained.size()) > 0) {
    }
    std::lock_guard lock(mutex_);
    std::vector<std::string> lines(lines_.begin(), lines_.end());
    lines_.clear();
    return lines;
  }

  std::optional<bool> closed_by_server() {
    std::lock_guard lock(mutex_);
    return lines_.empty() ? closed_by_server_ : std::nullopt;
  }

  [[nodiscard]] int fd() const { return read_end_.get(); }

 private:
  void post(std::string line) {
    {
      std::lock_guard lock(mutex_);
      lines_.push_back(std::move(line));
    }
    wake();
  }

  void wake() {
    const char byte = 1;
    [[maybe_unused]] const auto written = ::write(write_end_.get(), &byte, 1);
  }

  std::mutex mutex_;  // guards lines_ and closed_by_server_
  std::deque<std::string> lines_;
  std::optional<bool> closed_by_server_;
  FileDescriptor read_end_;
  FileDescriptor write_end_;
};

// Waits for stdin (when `watch_input`) and the mailbox; returns {input ready, mail ready}.
std::pair<bool, bool> wait_for_activity(bool watch_input, int mailbox_fd, int timeout_ms) {
  std::array<pollfd, 2> watched{
      {{watch_input ? STDIN_FILENO : -1, POLLIN, 0}, {mailbox_fd, POLLIN, 0}}};
  if (::poll(watched.data(), watched.size(), timeout_ms) < 0) return {false, false};
  return {watched[0].revents != 0, watched[1].revents != 0};
}

void say_server_closed() {
  std::fputs("lochat: the server closed the connection\n", stderr);
}

// How one connection ended.
enum class Ending { user_quit, server_closed };

// --- Plain mode: stdin and stdout are pipes or files --------------------------------------

class PlainSession {
 public:
  PlainSession(ChatClient& client, Mailbox& mailbox, std::optional<view::NameNegotiation> names)
      : client_(client), mailbox_(mailbox), names_(std::move(names)), framer_(kMaxInputLine) {}

  Ending run() {
    const auto name_deadline = std::chrono::steady_clock::now() + kWaitForName;
    while (true) {
      const auto now = std::chrono::steady_clock::now();
      // Lines typed ahead wait until our name is settled, so they go out under it.
      const bool name_pending = names_ && !names_->settled() && now < name_deadline;
      const int timeout = input_open_ ? (name_pending ? 50 : -1) : millis_until(drain_deadline_);
      const auto [input_ready, mail_ready] =
          wait_for_activity(input_open_ && !name_pending, mailbox_.fd(), timeout);
      if (mail_ready) print_mail();
      if (const auto by_server = mailbox_.closed_by_server()) {
        return *by_server && input_open_ ? Ending::server_closed : Ending::user_quit;
      }
      if (input_ready && read_input() == Outcome::quit) return Ending::user_quit;
      if (!input_open_ && std::chrono::steady_clock::now() >= drain_deadline_) {
        return Ending::user_quit;
      }
    }
  }

  [[nodiscard]] std::string name() const { return names_ ? names_->name() : std::string(); }

 private:
  enum class Outcome { go_on, quit };

  static int millis_until(std::chrono::steady_clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    return left.count() > 0 ? static_cast<int>(left.count()) : 0;
  }

  void print_mail() {
    for (const auto& line : mailbox_.take()) {
      if (names_) {
        if (const auto retry = names_->observe(line)) client_.send_line(*retry);
      }
      std::printf("%s\n", text::sanitize(line).c_str());
    }
    std::fflush(stdout);
  }

  Outcome read_input() {
    std::array<char, 16 * 1024> buffer{};
    const auto got = ::read(STDIN_FILENO, buffer.data(), buffer.size());
    bool quit = false;
    const auto send = [&](std::string_view line) {
      if (quit) return;
      if (line == kQuit) {
        quit = true;
        return;
      }
      client_.send_line(line);
    };
    const auto too_long = [] { std::fputs("lochat: input line too long, not sent\n", stderr); };
    if (got > 0) {
      framer_.feed(std::string_view(buffer.data(), static_cast<std::size_t>(got)), send, too_long);
    } else {
      framer_.finish(send, too_long);
      // Half-close: the server still answers what we sent, then closes.
      client_.finish_sending();
      input_open_ = false;
      drain_deadline_ = std::chrono::steady_clock::now() + kDrainAfterInputEnds;
    }
    if (quit) client_.close();
    return quit ? Outcome::quit : Outcome::go_on;
  }

  ChatClient& client_;
  Mailbox& mailbox_;
  std::optional<view::NameNegotiation> names_;
  LineFramer framer_;
  bool input_open_ = true;
  std::chrono::steady_clock::time_point drain_deadline_{};
};

// --- Interactive mode: a terminal with GNU readline ----------------------------------------

class Console;
// Readline calls back through plain C function pointers, so they find the
// console here. Only the input thread runs readline.
Console* active_console = nullptr;
volatile std::sig_atomic_t interrupted = 0;

extern "C" void on_interrupt(int /*signal*/) {
  interrupted = 1;
}

class Console {
 public:
  Console(ChatClient& client, Mailbox& mailbox, std::optional<view::NameNegotiation> names,
          view::Style style)
      : client_(client), mailbox_(mailbox), names_(std::move(names)), style_(style) {}

  Ending run() {
    active_console = this;
    rl_catch_signals = 0;  // Ctrl-C comes to on_interrupt: quit cleanly, terminal restored
    rl_attempted_completion_function = complete;
    rl_callback_handler_install(std::string(kPrompt).c_str(), on_line);
    const Ending ending = loop();
    rl_callback_handler_remove();
    active_console = nullptr;
    return ending;
  }

  [[nodiscard]] std::string name() const { return my_name(); }

 private:
  Ending loop() {
    while (!quit_) {
      const auto [input_ready, mail_ready] = wait_for_activity(true, mailbox_.fd(), 500);
      if (interrupted != 0) break;
      if (mail_ready) show_mail();
      if (const auto by_server = mailbox_.closed_by_server()) {
        report_unconfirmed();
        if (*by_server) {
          print_above("*** The server closed the connection");
          return Ending::server_closed;
        }
        return Ending::user_quit;
      }
      if (input_ready) rl_callback_read_char();
    }
    std::fputc('\n', stdout);
    await_last_acknowledgements();
    client_.close();
    return Ending::user_quit;
  }

  // Quitting with lines not yet confirmed: stop sending, give the server a
  // moment to confirm them, and mark any it did not.
  void await_last_acknowledgements() {
    if (awaiting_ack_.empty()) return;
    client_.finish_sending();
    const auto deadline = std::chrono::steady_clock::now() + kDrainAfterInputEnds;
    while (!awaiting_ack_.empty() && !mailbox_.closed_by_server()) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      if (wait_for_activity(false, mailbox_.fd(), static_cast<int>(left.count())).second) {
        show_mail();
      }
    }
    report_unconfirmed();
  }

  void show_mail() {
    for (const auto& line : mailbox_.take()) {
      roster_.observe(line);
      if (names_) {
        if (const auto retry = names_->observe(line)) client_.send_line(*retry);
      }
      const auto kind = protocol::parse_server_line(line).kind;
      if (kind == protocol::ServerLine::Kind::ack) {
        confirm_oldest();
        continue;
      }
      if (kind == protocol::ServerLine::Kind::error && answers_a_sent_line(line)) {
        awaiting_ack_.pop_front();
      }
      const auto rendered = view::render(line, protocol::clock_time_now(), my_name(), style_);
      print_above(rendered.text);
      if (rendered.ring) std::fputc('\a', stdout);
    }
    std::fflush(stdout);
  }

  // Errors that stand instead of an acknowledgement for the oldest sent line.
  bool answers_a_sent_line(std::string_view line) const {
    return !awaiting_ack_.empty() &&
           (line.starts_with("Error: line too long") || line.starts_with("Error: usage: /m") ||
            line.starts_with("Error: nobody called "));
  }

  void confirm_oldest() {
    if (awaiting_ack_.empty()) return;
    print_above(
        view::render_own(awaiting_ack_.front(), protocol::clock_time_now(), my_name(), style_));
    awaiting_ack_.pop_front();
  }

  void report_unconfirmed() {
    for (const auto& line : awaiting_ack_) print_above("! not confirmed by the server: " + line);
    awaiting_ack_.clear();
  }

  [[nodiscard]] std::string my_name() const { return names_ ? names_->name() : std::string(); }

  // Prints above the prompt, then redraws the prompt with what was being typed
  // and the cursor where it was.
  static void print_above(const std::string& text) {
    rl_clear_visible_line();
    std::fputs(text.c_str(), stdout);
    std::fputc('\n', stdout);
    rl_on_new_line();
    rl_redisplay();
  }

  // Readline has echoed the submitted line; it is shown again, marked, once
  // confirmed, so the echo (one or more screen rows) is wiped.
  static void erase_echo(std::string_view line) {
    int rows = 0;
    int columns = 0;
    rl_get_screen_size(&rows, &columns);
    std::size_t characters = kPrompt.size();
    for (const char byte : line) characters += (static_cast<unsigned char>(byte) & 0xC0) != 0x80;
    const std::size_t echo_rows =
        columns > 0 ? characters / static_cast<std::size_t>(columns) + 1 : 1;
    for (std::size_t row = 0; row < echo_rows; ++row) std::fputs("\x1b[1A\x1b[2K", stdout);
  }

  void submit(std::string line) {
    if (line == kQuit) {
      quit_ = true;
      return;
    }
    if (line.find_first_not_of(" \t") == std::string::npos) return;
    add_history(line.c_str());
    erase_echo(line);
    if (!client_.send_line(line)) return;
    const auto parsed = protocol::parse_client_line(line);
    const bool acknowledged = parsed.kind == protocol::ClientLine::Kind::chat ||
                              (parsed.kind == protocol::ClientLine::Kind::command &&
                               (parsed.command == "me" || parsed.command == "msg"));
    if (acknowledged) {
      awaiting_ack_.push_back(std::move(line));
    } else {
      print_above(style_.color ? "\x1b[2m" + line + "\x1b[0m" : line);
    }
  }

  static void on_line(char* raw) {
    if (raw == nullptr) {  // Ctrl-D
      active_console->quit_ = true;
      return;
    }
    std::string line(raw);
    std::free(raw);
    active_console->submit(std::move(line));
  }

  static char* completion_candidate(const char* text, int state) {
    static std::vector<std::string> matches;
    static std::size_t next = 0;
    if (state == 0) {
      const auto found = view::completions(text, active_console->roster_);
      matches.assign(found.begin(), found.end());
      next = 0;
    }
    return next < matches.size() ? strdup(matches[next++].c_str()) : nullptr;
  }

  static char** complete(const char* text, int /*start*/, int /*end*/) {
    rl_attempted_completion_over = 1;  // never fall back to file names
    return rl_completion_matches(text, completion_candidate);
  }

  ChatClient& client_;
  Mailbox& mailbox_;
  std::optional<view::NameNegotiation> names_;
  view::Style style_;
  view::Roster roster_;
  std::deque<std::string> awaiting_ack_;  // sent lines the server has not confirmed yet
  bool quit_ = false;
};

bool wants_color(const ClientConfig& config) {
  const char* no_color = std::getenv("NO_COLOR");
  return !config.no_color && (no_color == nullptr || *no_color == '\0') && ::isatty(STDOUT_FILENO);
}

// One connection, from connect to its end; the name it ended with is kept in `name`.
std::optional<Ending> converse(const ClientConfig& config, std::string& name) {
  Mailbox mailbox;
  std::optional<ChatClient> client;
  try {
    client.emplace(config.host, config.port, mailbox.callbacks());
  } catch (const NetError& error) {
    std::fprintf(stderr, "lochat: %s\n", error.what());
    return std::nullopt;
  }
  std::optional<view::NameNegotiation> names;
  if (!name.empty()) {
    names.emplace(name);
    client->send_line(names->first_request());
  }
  if (::isatty(STDIN_FILENO) == 0) {
    PlainSession session(*client, mailbox, std::move(names));
    const Ending ending = session.run();
    if (!session.name().empty()) name = session.name();
    return ending;
  }
  Console console(*client, mailbox, std::move(names), {wants_color(config), config.bell});
  const Ending ending = console.run();
  if (!console.name().empty()) name = console.name();
  return ending;
}

// Waits `delay` unless Ctrl-C comes first; false if it did.
bool wait_unless_interrupted(std::chrono::seconds delay) {
  const auto until = std::chrono::steady_clock::now() + delay;
  while (std::chrono::steady_clock::now() < until) {
    if (interrupted != 0) return false;
    ::poll(nullptr, 0, 100);
  }
  return interrupted == 0;
}

}  // namespace

int run_client(const ClientConfig& config) {
  constexpr std::chrono::seconds kFirstRetry{1};
  constexpr std::chrono::seconds kLongestRetry{30};
  std::signal(SIGPIPE, SIG_IGN);
  // On a terminal these end the session like :q, so readline restores the terminal.
  if (::isatty(STDIN_FILENO) != 0) {
    for (const int signal : {SIGINT, SIGTERM, SIGHUP}) std::signal(signal, on_interrupt);
  }
  std::string name = config.name;
  bool ever_connected = false;
  auto retry_in = kFirstRetry;
  while (true) {
    const auto ending = converse(config, name);
    if (ending == Ending::user_quit) return 0;
    // Without --reconnect, or when the very first attempt fails, the user hears why and we stop.
    if (!config.reconnect || (!ending && !ever_connected)) {
      if (ending) say_server_closed();
      return 1;
    }
    if (ending) {
      ever_connected = true;
      retry_in = kFirstRetry;
      std::fputs("lochat: the server closed the connection\n", stderr);
    }
    std::fprintf(stderr, "lochat: reconnecting to %s:%u in %lld s\n", config.host.c_str(),
                 config.port, static_cast<long long>(retry_in.count()));
    if (!wait_unless_interrupted(retry_in)) return 0;
    retry_in = std::min(retry_in * 2, kLongestRetry);
  }
}

}  // namespace lochat
