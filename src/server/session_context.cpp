#include <spdlog/spdlog.h>

#include <utility>

#include "lochat/server/session.hpp"
#include "lochat/wire/protocol.hpp"

// The session's side of the command table (commands::CommandContext): what a
// command may do to this session and the room. All on the session's own thread.
namespace lochat {

void Session::reply(std::string line) {
  connection_.queue_own_line(std::move(line));
}

void Session::announce() {
  if (announced_ || !in_room_) return;  // not before the password
  announced_ = true;
  // An address that keeps reconnecting is not announced each time.
  presence_told_ = !address_ || address_->try_take_presence(std::chrono::steady_clock::now());
  if (!presence_told_) return;
  announce_presence(protocol::joined(name_, room_.size()));
  if (verified_) announce_presence(protocol::verified(name_));
}

commands::CommandContext::Rename Session::rename(const std::string& name) {
  const auto renamed = room_.rename(&connection_, name);
  if (renamed == Room::Renamed::taken) return Rename::taken;
  if (renamed == Room::Renamed::owned) return Rename::owned;
  if (renamed == Room::Renamed::claimed) {
    spdlog::info("The key {} now owns the name {}", client_key_, name);
  }
  const bool was_verified = std::exchange(
      verified_, renamed == Room::Renamed::verified || renamed == Room::Renamed::claimed);
  const std::string old_name = std::exchange(name_, name);
  if (old_name == name_ && was_verified == verified_) return Rename::unchanged;
  mark_spoken();
  if (!announced_) {
    announce();
    return Rename::done;
  }
  publish_batch();
  if (old_name != name_) {
    room_.broadcast(room_.share(protocol::renamed(old_name, name_)), &connection_, owed_);
  }
  if (verified_) room_.broadcast(room_.share(protocol::verified(name_)), &connection_, owed_);
  return Rename::done;
}

commands::CommandContext::Release Session::release_name() {
  auto* owners = room_.owners();
  if (owners == nullptr || !owners->release_own(name_, client_key_)) return Release::not_yours;
  spdlog::info("The key {} gave up the name {}", client_key_, name_);
  verified_ = false;
  if (announced_) {
    room_.broadcast(room_.share(protocol::no_longer_verified(name_)), &connection_, owed_);
  }
  return Release::released;
}

bool Session::send_private(std::string_view recipient_name, std::string line) {
  const auto recipient = room_.find(recipient_name);
  if (!recipient) return false;
  // For one recipient: charged to it in full, not shared (see Participant::Audience).
  const auto alone = make_shared_line(std::move(line));
  if (recipient->deliver(std::span(&alone, 1), &connection_, Participant::Audience::one) ==
      Participant::Delivery::held_back) {
    owed_.owe(recipient);
  }
  mark_spoken();
  return true;
}

void Session::tell_everyone(std::string notice) {
  reply(notice);
  publish_batch();
  room_.broadcast(room_.share(std::move(notice)), &connection_, owed_);
}

void Session::quit(std::string_view reason) {
  departure_reason_ = reason;
  quit_requested_ = true;
}

}  // namespace lochat
