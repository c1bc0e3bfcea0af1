#include <spdlog/spdlog.h>

#include <array>
#include <utility>

#include "lochat/server/session.hpp"
#include "lochat/wire/protocol.hpp"

// The session before and at its entry into the room: the password gate's
// answers (password_gate.hpp) and what a newcomer hears on joining. All on
// the session's own thread.
namespace lochat {

void Session::knock(std::string_view raw_line) {
  auto answer = gate_.take(raw_line, std::chrono::steady_clock::now());
  if (!answer.reply.empty()) reply(std::move(answer.reply));
  switch (answer.kind) {
    case PasswordGate::Answer::Kind::quiet:
      return;
    case PasswordGate::Answer::Kind::admitted:
      enter_room();
      return;
    case PasswordGate::Answer::Kind::wrong:
      wait_after_wrong_password();
      return;
    case PasswordGate::Answer::Kind::refused:
      // The gate logged the refusal once for the address; each connection it
      // closes adds nothing to the log.
      quit_requested_ = true;
      flood_gate_.clear();
      return;
  }
}

// Everything here is queued before the session joins the room, so the greeting
// comes first and the replay holds only messages older than the newcomer.
void Session::enter_room() {
  auto online = room_.online();
  ++online.total;  // the newcomer, listed last, joins right after this
  // Clients learn their own name from the last entry: in a crowd the
  // newcomer takes the last listed place rather than go unlisted.
  if (online.listed.size() >= protocol::kMaxListed) online.listed.resize(protocol::kMaxListed - 1);
  online.listed.push_back({name_, std::chrono::seconds(0)});
  reply(protocol::online_list(online));
  // The replay counts against --sendq like everything else, so it holds only
  // the newest lines that fill at most half of it: long lines in the history
  // must never make the greeting overflow a newcomer's queue.
  for (auto& line : room_.recent_history(config_.sendq_bytes / 2)) {
    connection_.queue_own_line(std::move(line));
  }
  greet_in_room();
  // The room delivers to the connection, which lives as long as this session.
  room_.join(std::shared_ptr<Participant>(shared_from_this(), &connection_), name_, client_key_);
  in_room_ = true;
  announce_by_ = std::chrono::steady_clock::now() + config_.announce_delay;
  spdlog::info("Connected to: {}, {} ({} online)", peer_.address, peer_.port, room_.size());
}

// The topic and the message of the day, after the replay: the last a newcomer reads.
void Session::greet_in_room() {
  if (auto topic = moderation_.topic(); !topic.empty()) reply(protocol::topic(topic));
  for (const auto& line : moderation_.motd()) reply(protocol::motd(line));
}

// The plain port's newcomers were checked by address before a thread was
// started (Server::serve_or_refuse); a TLS client's key is known only now.
// An operator's key is never refused, whatever address it comes from.
bool Session::refused_by_ban() {
  if (!connection_.encrypted() || moderation_.is_operator(client_key_)) return false;
  const auto ban = moderation_.banned(peer_.address, client_key_);
  if (!ban) return false;
  moderation_.log_refusal(peer_.address, *ban);
  reply(protocol::you_are_banned(ban->until, ban->reason));
  flush_before_close();
  return true;
}

// The client hears "wrong password" at once; its next line is read only after
// the delay. Not in the room, this thread has nothing else to do meanwhile;
// a shutdown ends the wait.
void Session::wait_after_wrong_password() {
  write_due();
  const auto until = std::chrono::steady_clock::now() + kWrongPasswordDelay;
  std::array<pollfd, 0> nothing{};
  for (auto now = std::chrono::steady_clock::now(); now < until && !stop_requested_.load();
       now = std::chrono::steady_clock::now()) {
    wake_.wait(nothing, until - now);
  }
}

}  // namespace lochat
