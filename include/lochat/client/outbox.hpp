#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "lochat/net/token_bucket.hpp"
#include "lochat/wire/protocol.hpp"

// The lines `lochat` sends, on their way out, and what it knows of the server
// that takes them. A lochat-server describes itself right after its welcome
// (protocol::self_description()); any other server (ncat --chat, the original
// LoChat server) is "foreign": it gets no commands and confirms nothing.
// Lines wait here until the server is known, then go out within the flood
// limits a lochat-server published. Belongs to the client's input thread
// alone; not thread-safe.
namespace lochat {

class Outbox {
 public:
  using Clock = std::chrono::steady_clock;
  enum class Server { undecided, lochat, foreign };
  // A lochat-server sends its self-description with its welcome, in one
  // write; a server that has said nothing of itself this long after the
  // connect is foreign (ncat --chat says nothing; the original server only
  // "Welcome to LoChat!").
  static constexpr std::chrono::milliseconds kDescribeWithin{1000};

  struct Line {
    std::string text;
    bool typed = true;     // the user's; false: the client's own (/nick at connect)
    bool refused = false;  // a command typed for a foreign server: not sent
  };

  explicit Outbox(Clock::time_point connected);

  // One line from the server. True if it just told what server this is.
  bool observe(std::string_view line);
  // True if the wait for a self-description has just run out (the server is foreign).
  bool settle_by_time(Clock::time_point now);
  [[nodiscard]] Server server() const { return server_; }
  // The server confirms each line with "Message Received".
  [[nodiscard]] bool acknowledges() const;
  // The server keeps names owned by keys, and marks the names it verified.
  [[nodiscard]] bool owned_names() const {
    return server_ == Server::lochat && description_.owned_names;
  }

  void push(std::string typed);
  // The client's own line, ahead of what the user typed; never shown.
  void push_first(std::string own);
  // The next line to send, once the server is known and its flood limit allows.
  std::optional<Line> next_due(Clock::time_point now);
  // How long until next_due() or settle_by_time() may have news; nullopt: none due.
  [[nodiscard]] std::optional<std::chrono::milliseconds> wait(Clock::time_point now) const;
  [[nodiscard]] std::size_t queued() const { return queue_.size(); }
  // "sending 300 lines, about 27 s", once the queue holds more than the
  // server takes at once; said again only after the queue has emptied.
  std::optional<std::string> progress(Clock::time_point now);

 private:
  Clock::time_point describe_by_;
  Server server_ = Server::undecided;
  protocol::ServerDescription description_;
  std::optional<TokenBucket> bucket_;  // a lochat-server's flood limit
  std::deque<Line> queue_;
  bool progress_told_ = false;
};

}  // namespace lochat
