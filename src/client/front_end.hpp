#pragma once

#include <unistd.h>

#include <array>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lochat/client/chat_client.hpp"
#include "lochat/client/name_negotiation.hpp"
#include "lochat/client/view.hpp"
#include "lochat/net/socket.hpp"

// The pieces the terminal front end's files share (internal to the console
// target): the mailbox between the two client threads, the wait on input and
// mail, and the two ways of running one connection (plain and terminal).
// The receive thread only posts to the Mailbox (mutex_ guards its lines);
// everything else here runs on the input thread.
namespace lochat::front_end {

// After the user is done: how long to wait for the server's next confirmation.
inline constexpr std::chrono::seconds kDrainAfterInputEnds{3};
inline constexpr std::chrono::seconds kWaitForName{2};
inline constexpr std::size_t kMaxInputLine = 64 * 1024;
inline constexpr std::string_view kPrompt = "> ";
inline constexpr std::string_view kQuit = ":q";

// Lines from the receive thread for the input thread. Only the input thread
// touches the terminal; the receive thread posts here and wakes it through a pipe.
class Mailbox {
 public:
  Mailbox();

  ChatClient::Callbacks callbacks() {
    return {[this](std::string_view line) { post(std::string(line)); },
            [this](bool by_server) {
              {
                std::lock_guard lock(mutex_);
                closed_by_server_ = by_server;
              }
              wake();
            },
            {}};  // the console sets password_for
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
std::pair<bool, bool> wait_for_activity(bool watch_input, int mailbox_fd, int timeout_ms);

// How one connection ended.
// lines_unconfirmed: input ended, and the server did not confirm every line we sent.
enum class Ending { user_quit, server_closed, lines_unconfirmed };

// Set by SIGINT, SIGTERM and SIGHUP on a terminal: quit as :q does.
extern volatile std::sig_atomic_t interrupted;

// One connection with stdin and stdout as pipes or files: lines as they are.
// `name` is the name it ended with (unchanged if none was taken).
Ending run_plain_mode(ChatClient& client, Mailbox& mailbox,
                      std::optional<view::NameNegotiation> names, std::string& name);
// One connection on a terminal, with GNU readline.
Ending run_terminal_mode(ChatClient& client, Mailbox& mailbox,
                         std::optional<view::NameNegotiation> names, view::Style style,
                         std::string& name);

}  // namespace lochat::front_end
