#include <readline/history.h>
#include <readline/readline.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "front_end.hpp"
#include "lochat/client/outbox.hpp"
#include "lochat/client/roster.hpp"
#include "lochat/wire/commands.hpp"
#include "lochat/wire/protocol.hpp"
#include "lochat/wire/server_line.hpp"
#include "lochat/wire/text.hpp"

namespace lochat::front_end {

namespace {

class TerminalMode;
// Readline calls back through plain C function pointers, so they find the
// terminal mode here. Only the input thread runs readline.
TerminalMode* active_console = nullptr;
// Further rows of a wrapped line start here: under the text, past the
// "HH:MM " column, behind a mark no peer's text can put at a row's start.
constexpr std::string_view kGutter = "      \xE2\x94\x86 ";  // six spaces, "┆", a space
// What a terminal in bracketed-paste mode sends before a pasted block.
constexpr const char* kPasteStart = "\x1b[200~";

// Set by SIGWINCH; the input thread, which owns readline, redraws.
volatile std::sig_atomic_t resized = 0;

extern "C" void on_resize(int /*signal*/) {
  resized = 1;
}

// Most terminals (VTE, kitty, iTerm2, tmux, ...) rewrap a line's rows when
// the width changes, cursor included; xterm and the Linux console cut them.
bool terminal_reflows() {
  if (std::getenv("TMUX") != nullptr) return true;
  const char* term = std::getenv("TERM");
  return std::getenv("XTERM_VERSION") == nullptr &&
         (term == nullptr || std::string_view(term) != "linux");
}

// A terminal with GNU readline: a prompt with line editing and history;
// lines that arrive are printed above it, and own lines once confirmed.
class TerminalMode {
 public:
  TerminalMode(ChatClient& client, Mailbox& mailbox, std::optional<view::NameNegotiation> names,
               view::Style style)
      : client_(client), mailbox_(mailbox), names_(std::move(names)), style_(style) {}

  Ending run() {
    active_console = this;
    rl_catch_signals = 0;  // Ctrl-C comes to on_interrupt: quit cleanly, terminal restored
    // Readline would hear a resize only while it reads a key; ours hears it while we wait.
    rl_catch_sigwinch = 0;
    std::signal(SIGWINCH, on_resize);
    rl_attempted_completion_function = complete;
    rl_callback_handler_install(std::string(kPrompt).c_str(), on_line);
    rl_bind_keyseq_in_map(kPasteStart, on_paste, emacs_standard_keymap);
    rl_bind_keyseq_in_map(kPasteStart, on_paste, vi_insertion_keymap);
    const Ending ending = loop();
    rl_callback_handler_remove();
    std::signal(SIGWINCH, SIG_DFL);
    active_console = nullptr;
    return ending;
  }

  [[nodiscard]] std::string name() const { return my_name(); }

 private:
  Ending loop() {
    while (!quit_) {
      const auto [input_ready, mail_ready] = wait_for_activity(true, mailbox_.fd(), timeout(500));
      if (interrupted != 0) break;
      if (resized != 0) redraw_after_resize();
      if (mail_ready) show_mail();
      if (outbox_.settle_by_time(std::chrono::steady_clock::now())) adapt_to_server();
      if (const auto by_server = mailbox_.closed_by_server()) {
        report_unconfirmed();
        if (*by_server) {
          // run_console says, in one line, that the server closed the connection.
          keep_half_typed_line();
          return Ending::server_closed;
        }
        return Ending::user_quit;
      }
      if (input_ready) {  // a paste is read whole before its lines are paced out
        rl_callback_read_char();
      } else {
        send_due();
      }
    }
    std::fputc('\n', stdout);
    await_last_acknowledgements();
    client_.close();
    return Ending::user_quit;
  }

  // Quitting with lines queued or not yet confirmed: send the queue at the
  // server's pace, give the server a moment to confirm them, and say what was
  // not sent and mark what was not confirmed.
  void await_last_acknowledgements() {
    if (awaiting_ack_.empty() && outbox_.queued() == 0) return;
    if (outbox_.queued() > 0) {
      print_above("lochat: sending " + std::to_string(outbox_.queued()) +
                  " more lines before quitting (Ctrl-C stops)");
    }
    interrupted = 0;  // the Ctrl-C that quit, if it was one: the next one stops the wait
    // A long paste comes through flood control at its pace: wait while
    // confirmations keep coming, and give up only when they stop.
    auto deadline = std::chrono::steady_clock::now() + kDrainAfterInputEnds;
    // A second Ctrl-C (or a hang-up) stops the wait.
    while ((!awaiting_ack_.empty() || outbox_.queued() > 0) && !mailbox_.closed_by_server() &&
           interrupted == 0) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      // Once every line is out, the server answers the rest and then closes.
      if (outbox_.queued() == 0) client_.finish_sending();
      const std::size_t waiting = awaiting_ack_.size() + outbox_.queued();
      if (wait_for_activity(false, mailbox_.fd(), timeout(static_cast<int>(left.count()))).second) {
        show_mail();
      }
      send_due();
      if (awaiting_ack_.size() + outbox_.queued() < waiting) {
        deadline = std::chrono::steady_clock::now() + kDrainAfterInputEnds;
      }
    }
    report_unconfirmed();
  }

  // At most `longest` ms, less when the outbox has a line due sooner.
  [[nodiscard]] int timeout(int longest) const {
    const auto wait = outbox_.wait(std::chrono::steady_clock::now());
    return wait ? std::min(longest, static_cast<int>(wait->count())) : longest;
  }

  // A lochat-server is asked for our name; another server would relay the
  // "/nick" to everyone, so our lines show under the name we would have asked for.
  void adapt_to_server() {
    if (!names_) return;
    if (outbox_.server() == Outbox::Server::lochat) {
      outbox_.push_first(names_->first_request());
      return;
    }
    my_name_ = names_->wanted();
    names_.reset();
  }

  void send_due() {
    if (const auto note = outbox_.progress(std::chrono::steady_clock::now())) {
      print_above("lochat: " + *note);
    }
    while (auto line = outbox_.next_due(std::chrono::steady_clock::now())) {
      if (line->refused) {
        print_above(
            view::render_warning("not sent, this server has no commands: " + line->text, style_));
      } else if (client_.send_line(line->text) && line->typed) {
        show_sent(std::move(line->text));
      }
    }
  }

  // A line the server will confirm waits for it; to a server that confirms nothing
  // it shows at once, marked (a foreign one got "//x" as "/x"); a command's echo is dimmed.
  void show_sent(std::string line) {
    if (outbox_.acknowledges() && commands::expects_ack(line)) {
      awaiting_ack_.push_back(std::move(line));
    } else if (!outbox_.acknowledges()) {
      if (outbox_.server() == Outbox::Server::foreign) line = commands::as_text(line);
      print_above(view::render_own(line, protocol::clock_time_now(), my_name(), style_, false));
    } else {
      print_above(style_.color ? "\x1b[2m" + line + "\x1b[0m" : line);
    }
  }

  void show_mail() {
    for (const auto& line : mailbox_.take()) {
      if (outbox_.observe(line)) adapt_to_server();
      if (protocol::shows_nothing(line)) continue;
      roster_.observe(line);
      observe_name(line);
      const auto classified = protocol::classify(line);
      // A foreign server's "Message Received" confirms nothing we keep track of.
      if (classified.kind == protocol::ServerLine::Kind::ack) {
        if (outbox_.acknowledges()) confirm_oldest();
        continue;
      }
      if (classified.topic == protocol::ServerLine::Topic::about_server) continue;
      if (protocol::answers_instead_of_ack(classified) && !awaiting_ack_.empty()) {
        awaiting_ack_.pop_front();
      }
      const auto rendered = view::render(line, protocol::clock_time_now(), my_name(), style_,
                                         roster_.unverified_senders(outbox_.owned_names()));
      print_above(rendered.text);
      if (rendered.ring) std::fputc('\a', stdout);
    }
    std::fflush(stdout);
  }

  // The line being typed when the connection ended stays on screen, marked:
  // the user can copy it rather than lose it.
  void keep_half_typed_line() {
    const std::string typed = rl_line_buffer != nullptr ? rl_line_buffer : "";
    if (typed.find_first_not_of(" \t") == std::string::npos) return;
    rl_replace_line("", 0);
    print_above(view::render_warning("not sent: " + typed, style_));
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
    if (outbox_.queued() > 0) {
      print_above(
          view::render_warning(std::to_string(outbox_.queued()) + " lines were not sent", style_));
    }
  }

  [[nodiscard]] std::string my_name() const { return my_name_; }

  // Follows our name: the negotiation at connect (said loudly if it ends on
  // another name), then every "You are now known as" (a /nick of ours).
  void observe_name(std::string_view line) {
    if (names_ && !names_->settled()) {
      if (const auto retry = names_->observe(line)) outbox_.push_first(*retry);
      if (names_->lost_wanted_name()) {
        print_above(view::render_warning(names_->lost_name_warning(), style_));
      }
    }
    const auto classified = protocol::classify(line);
    if (classified.topic == protocol::ServerLine::Topic::you_are_now && !classified.replayed) {
      my_name_ = classified.subject;
    }
  }

  // Prints above the prompt, then redraws the prompt with what was being typed
  // and the cursor where it was. A line wider than the terminal is wrapped by
  // us, its further rows after a gutter: the terminal's own wrapping would let
  // a peer's space-padded text start a row that looks like a notice.
  static void print_above(const std::string& text) {
    rl_clear_visible_line();
    int rows = 0;
    int columns = 0;
    rl_get_screen_size(&rows, &columns);
    // One column spare: a row exactly as wide as the screen leaves some
    // terminals waiting to wrap, and the newline would then add an empty row.
    const auto usable = columns > 1 ? static_cast<std::size_t>(columns - 1) : 0;
    for (const auto& row : text::wrap_for_terminal(text, usable, kGutter)) {
      std::fputs(row.c_str(), stdout);
      std::fputc('\n', stdout);
    }
    rl_on_new_line();
    rl_redisplay();
  }

  // The screen row, counted from the prompt's, that the end of `typed` is on
  // when the terminal wraps the prompt and it at `columns` (tabs as readline
  // shows them, to stops counted from the prompt's start).
  static std::size_t row_of(std::string_view typed, int columns) {
    const auto cells = text::display_width(std::string(kPrompt).append(typed));
    return columns > 0 ? cells / static_cast<std::size_t>(columns) : 0;
  }

  // Readline has echoed the submitted line; it is shown again, marked, once
  // confirmed, so the echo (one or more screen rows) is wiped.
  static void erase_echo(std::string_view line) {
    int rows = 0;
    int columns = 0;
    rl_get_screen_size(&rows, &columns);
    const std::size_t echo_rows = row_of(line, columns) + 1;
    for (std::size_t row = 0; row < echo_rows; ++row) std::fputs("\x1b[1A\x1b[2K", stdout);
  }

  // The prompt and the line being typed are drawn again for the new width,
  // from the prompt's first row down: the rows the old drawing took are
  // wiped, wherever the terminal moved them.
  static void redraw_after_resize() {
    resized = 0;
    int rows = 0;
    int old_columns = 0;
    rl_get_screen_size(&rows, &old_columns);
    rl_reset_screen_size();
    int new_columns = 0;
    rl_get_screen_size(&rows, &new_columns);
    const std::string_view typed(rl_line_buffer != nullptr ? rl_line_buffer : "",
                                 static_cast<std::size_t>(rl_point));
    const auto up = row_of(typed, terminal_reflows() ? new_columns : old_columns);
    std::fputc('\r', stdout);
    if (up > 0) std::fprintf(stdout, "\x1b[%zuA", up);
    std::fputs("\x1b[J", stdout);
    rl_forced_update_display();
    std::fflush(stdout);
  }

  // A paste arrives as one block (bracketed paste): readline puts it into the
  // line, newlines and all. Each whole line in it is sent as text, never as a
  // command or ":q" (pasted data); the text after the last newline stays to be edited.
  void take_pasted_lines() {
    const std::string buffer(rl_line_buffer, static_cast<std::size_t>(rl_end));
    const auto last_newline = buffer.rfind('\n');
    if (last_newline == std::string::npos) return;
    const auto kept_from = static_cast<int>(last_newline + 1);
    const int point = std::max(rl_point - kept_from, 0);
    rl_deactivate_mark();
    rl_replace_line(buffer.c_str() + kept_from, 1);
    rl_point = point;
    std::string_view whole_lines(buffer.data(), last_newline);
    while (true) {
      const auto end = std::min(whole_lines.find('\n'), whole_lines.size());
      send_pasted(whole_lines.substr(0, end));
      if (end == whole_lines.size()) break;
      whole_lines.remove_prefix(end + 1);
    }
  }

  void send_pasted(std::string_view line) {
    if (line.find_first_not_of(" \t") == std::string_view::npos) return;
    add_history(std::string(line).c_str());
    outbox_.push(commands::as_text(line));
  }

  void submit(std::string line) {
    if (line == kQuit) {
      quit_ = true;
      return;
    }
    if (line.find_first_not_of(" \t") == std::string::npos) return;
    add_history(line.c_str());
    outbox_.push(std::move(line));
  }

  static void on_line(char* raw) {
    if (raw == nullptr) {  // Ctrl-D
      active_console->quit_ = true;
      return;
    }
    std::string line(raw);
    std::free(raw);
    erase_echo(line);
    active_console->submit(std::move(line));
  }

  static int on_paste(int count, int key) {
    const int result = rl_bracketed_paste_begin(count, key);
    active_console->take_pasted_lines();
    return result;
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
  Outbox outbox_{std::chrono::steady_clock::now()};
  std::deque<std::string> awaiting_ack_;  // sent lines the server has not confirmed yet
  std::string my_name_;  // as the server last confirmed it; empty: shown by our address
  bool quit_ = false;
};

}  // namespace

Ending run_terminal_mode(ChatClient& client, Mailbox& mailbox,
                         std::optional<view::NameNegotiation> names, view::Style style,
                         std::string& name) {
  TerminalMode mode(client, mailbox, std::move(names), style);
  const Ending ending = mode.run();
  if (!mode.name().empty()) name = mode.name();
  return ending;
}

}  // namespace lochat::front_end
