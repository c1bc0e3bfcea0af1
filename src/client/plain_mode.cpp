#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "front_end.hpp"
#include "lochat/client/outbox.hpp"
#include "lochat/wire/commands.hpp"
#include "lochat/wire/framing.hpp"
#include "lochat/wire/protocol.hpp"
#include "lochat/wire/server_line.hpp"
#include "lochat/wire/text.hpp"

namespace lochat::front_end {

namespace {

// stdin and stdout are pipes or files: every server line is printed as it is
// (cleaned), with no prompt or escape codes, so lochat works in scripts.
class PlainMode {
 public:
  PlainMode(ChatClient& client, Mailbox& mailbox, std::optional<view::NameNegotiation> names)
      : client_(client), mailbox_(mailbox), names_(std::move(names)), framer_(kMaxInputLine) {}

  Ending run() {
    const auto name_deadline = std::chrono::steady_clock::now() + kWaitForName;
    while (true) {
      const auto now = std::chrono::steady_clock::now();
      // Lines typed ahead wait until the server is known and our name settled,
      // so they go out under it.
      const bool name_pending =
          (outbox_.server() == Outbox::Server::undecided || (names_ && !names_->settled())) &&
          now < name_deadline;
      const auto [input_ready, mail_ready] =
          wait_for_activity(input_open_ && !name_pending, mailbox_.fd(), timeout(name_pending));
      if (mail_ready) print_mail();
      if (outbox_.settle_by_time(std::chrono::steady_clock::now())) adapt_to_server();
      if (const auto by_server = mailbox_.closed_by_server()) {
        if (*by_server && input_open_) return Ending::server_closed;
        return report_unconfirmed();
      }
      if (input_ready && read_input() == Outcome::quit) end_input();
      send_due();
      // Once input has ended, wait while the server confirms what we sent (a
      // long paste comes through flood control at its pace), and give up only
      // when confirmations stop coming.
      if (!input_open_ && outbox_.queued() == 0 &&
          (awaiting_acks_ == 0 || std::chrono::steady_clock::now() >= give_up_at_)) {
        return report_unconfirmed();
      }
    }
  }

  [[nodiscard]] std::string name() const { return names_ ? names_->name() : std::string(); }

 private:
  enum class Outcome { go_on, quit };

  int timeout(bool name_pending) const {
    const auto now = std::chrono::steady_clock::now();
    int wait = input_open_ ? (name_pending ? 50 : -1) : millis_until(give_up_at_);
    if (const auto outbox_wait = outbox_.wait(now)) {
      const auto millis = static_cast<int>(outbox_wait->count());
      wait = wait < 0 ? millis : std::min(wait, millis);
    }
    return wait;
  }

  static int millis_until(std::chrono::steady_clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    return left.count() > 0 ? static_cast<int>(left.count()) : 0;
  }

  // Lines we sent that the server did not confirm, said in one line; an
  // acknowledging server that left some unconfirmed makes the exit code 1.
  Ending report_unconfirmed() const {
    if (outbox_.queued() > 0) {
      std::fprintf(stderr, "lochat: %zu lines were not sent\n", outbox_.queued());
    }
    if (awaiting_acks_ == 0 || !outbox_.acknowledges()) {
      return outbox_.queued() > 0 ? Ending::lines_unconfirmed : Ending::user_quit;
    }
    std::fprintf(stderr, "lochat: %zu of %zu lines were not confirmed by the server\n",
                 awaiting_acks_, sent_for_ack_);
    return Ending::lines_unconfirmed;
  }

  void note_confirmations(std::string_view line) {
    const auto classified = protocol::classify(line);
    const bool confirms = classified.kind == protocol::ServerLine::Kind::ack ||
                          protocol::answers_instead_of_ack(classified);
    if (!confirms || awaiting_acks_ == 0) return;
    --awaiting_acks_;
    give_up_at_ = std::chrono::steady_clock::now() + kDrainAfterInputEnds;
  }

  void print_mail() {
    for (const auto& line : mailbox_.take()) {
      if (outbox_.observe(line)) adapt_to_server();
      if (protocol::shows_nothing(line)) continue;
      if (names_ && !names_->settled()) {
        if (const auto retry = names_->observe(line)) outbox_.push_first(*retry);
        if (names_->lost_wanted_name()) {
          std::fprintf(stderr, "lochat: %s\n", names_->lost_name_warning().c_str());
        }
      }
      note_confirmations(line);
      std::printf("%s\n", text::sanitize(line).c_str());
    }
    std::fflush(stdout);
  }

  // A lochat-server is asked for our name; another server would relay the
  // "/nick" to everyone as a chat line.
  void adapt_to_server() {
    if (!names_) return;
    if (outbox_.server() == Outbox::Server::lochat) {
      outbox_.push_first(names_->first_request());
    } else {
      names_.reset();
    }
  }

  void send_due() {
    if (const auto note = outbox_.progress(std::chrono::steady_clock::now())) {
      std::fprintf(stderr, "lochat: %s\n", note->c_str());
    }
    while (const auto line = outbox_.next_due(std::chrono::steady_clock::now())) {
      if (line->refused) {
        std::fprintf(stderr, "lochat: not sent, this server has no commands: %s\n",
                     line->text.c_str());
      } else if (client_.send_line(line->text) && line->typed && outbox_.acknowledges() &&
                 commands::expects_ack(line->text)) {
        ++awaiting_acks_;
        ++sent_for_ack_;
      }
      give_up_at_ = std::chrono::steady_clock::now() + kDrainAfterInputEnds;
    }
    // Half-close only once every line is out: the server still answers them, then closes.
    if (!input_open_ && !half_closed_ && outbox_.queued() == 0) {
      client_.finish_sending();
      half_closed_ = true;
    }
  }

  // End of input, or :q: what is queued still goes out, and is waited for.
  void end_input() {
    input_open_ = false;
    give_up_at_ = std::chrono::steady_clock::now() + kDrainAfterInputEnds;
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
      outbox_.push(std::string(line));
    };
    const auto too_long = [] { std::fputs("lochat: input line too long, not sent\n", stderr); };
    if (got > 0) {
      framer_.feed(std::string_view(buffer.data(), static_cast<std::size_t>(got)), send, too_long);
    } else {
      framer_.finish(send, too_long);
      end_input();
    }
    return quit ? Outcome::quit : Outcome::go_on;
  }

  ChatClient& client_;
  Mailbox& mailbox_;
  std::optional<view::NameNegotiation> names_;
  LineFramer framer_;
  bool input_open_ = true;
  // Input has ended: we give up waiting for confirmations this long after the last one.
  std::chrono::steady_clock::time_point give_up_at_{};
  std::size_t awaiting_acks_ = 0;  // sent lines the server has not confirmed yet
  std::size_t sent_for_ack_ = 0;
  Outbox outbox_{std::chrono::steady_clock::now()};
  bool half_closed_ = false;
};

}  // namespace

Ending run_plain_mode(ChatClient& client, Mailbox& mailbox,
                      std::optional<view::NameNegotiation> names, std::string& name) {
  PlainMode mode(client, mailbox, std::move(names));
  const Ending ending = mode.run();
  if (!mode.name().empty()) name = mode.name();
  return ending;
}

}  // namespace lochat::front_end
