#include <unistd.h>

#include <cstdio>

#include "front_end.hpp"
#include "lochat/wire/framing.hpp"
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

}  // namespace

Ending run_plain_mode(ChatClient& client, Mailbox& mailbox,
                      std::optional<view::NameNegotiation> names, std::string& name) {
  PlainMode mode(client, mailbox, std::move(names));
  const Ending ending = mode.run();
  if (!mode.name().empty()) name = mode.name();
  return ending;
}

}  // namespace lochat::front_end
