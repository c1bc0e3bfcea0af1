#include "lochat/server/room.hpp"

#include <algorithm>
#include <utility>

#include "lochat/wire/text.hpp"

namespace lochat {

Room::Room(RoomConfig config, NameOwners* owners)
    : config_(config),
      owners_(owners),
      history_(config.history_lines),
      budget_(config.sendq_total),
      members_(std::make_shared<const Members>()) {}

void Room::join(std::shared_ptr<Participant> participant, std::string name, std::string key) {
  Member member{std::move(participant), name, text::fold_name(name), std::move(key),
                std::chrono::steady_clock::now()};
  std::lock_guard lock(mutex_);
  auto next = std::make_shared<Members>(*members_);
  next->push_back(std::move(member));
  members_ = std::move(next);
}

void Room::leave(const Participant* participant) {
  std::lock_guard lock(mutex_);
  auto next = std::make_shared<Members>(*members_);
  std::erase_if(*next, [participant](const Member& member) {
    return member.participant.get() == participant;
  });
  members_ = std::move(next);
}

Room::Renamed Room::rename(const Participant* participant, const std::string& name) {
  const std::string folded = text::fold_name(name);
  bool claimed = false;
  Renamed renamed = Renamed::unverified;
  {
    std::lock_guard lock(mutex_);
    const auto self = std::find_if(members_->begin(), members_->end(), [&](const Member& member) {
      return member.participant.get() == participant;
    });
    const bool taken = std::any_of(members_->begin(), members_->end(), [&](const Member& member) {
      return member.folded_name == folded && member.participant.get() != participant;
    });
    const std::string key = self == members_->end() ? std::string() : self->key;
    // An owned name gets the same answer whether its owner is online or not.
    if (taken) return owned_by_another(folded, key) ? Renamed::owned : Renamed::taken;
    if (owners_ != nullptr) {
      const auto claim = owners_->reserve(name, key, claimed);
      if (claim == NameOwners::Claim::belongs_to_another) return Renamed::owned;
      if (claim == NameOwners::Claim::already_yours) renamed = Renamed::verified;
      if (claimed) renamed = Renamed::claimed;
    }
    auto next = std::make_shared<Members>(*members_);
    for (auto& member : *next) {
      if (member.participant.get() == participant) {
        member.name = name;
        member.folded_name = folded;
      }
    }
    members_ = std::move(next);
  }
  if (claimed) owners_->save();  // disk I/O: never under mutex_
  return renamed;
}

void Room::publish(const SharedLine& batch, const Participant* from, PendingFlushes& owed) {
  history_.record(*batch);
  broadcast(batch, from, owed);
}

void Room::broadcast(const SharedLine& line, const Participant* from, PendingFlushes& owed) const {
  const auto members = snapshot();
  for (const auto& member : *members) {
    if (member.participant.get() == from) continue;
    if (member.participant->deliver(std::span(&line, 1), from, Participant::Audience::many) ==
        Participant::Delivery::held_back) {
      owed.owe(member.participant);
    }
  }
  evict_if_over_budget(*members);
}

void Room::enforce_budget() const {
  if (budget_.over_limit()) evict_if_over_budget(*snapshot());
}

// The member furthest behind holds the oldest lines alive: dropping it frees most.
void Room::evict_if_over_budget(const Members& members) const {
  if (!budget_.over_limit() || !budget_.take_eviction_turn(std::chrono::steady_clock::now())) {
    return;
  }
  const auto furthest =
      std::max_element(members.begin(), members.end(), [](const Member& left, const Member& right) {
        return left.participant->backlog_bytes() < right.participant->backlog_bytes();
      });
  if (furthest != members.end()) furthest->participant->evict();
}

void Room::announce_presence(const SharedLine& notice, const Participant* from,
                             PendingFlushes& owed) const {
  if (config_.presence_limit != 0 && size() > config_.presence_limit) return;
  broadcast(notice, from, owed);
}

std::shared_ptr<Participant> Room::find(std::string_view name) const {
  const std::string folded = text::fold_name(name);
  const auto members = snapshot();
  const auto found = std::find_if(members->begin(), members->end(), [&](const Member& member) {
    return member.folded_name == folded;
  });
  return found == members->end() ? nullptr : found->participant;
}

std::vector<std::shared_ptr<Participant>> Room::participants() const {
  const auto members = snapshot();
  std::vector<std::shared_ptr<Participant>> all;
  all.reserve(members->size());
  for (const auto& member : *members) all.push_back(member.participant);
  return all;
}

protocol::OnlineList Room::online() const {
  const auto members = snapshot();
  const auto now = std::chrono::steady_clock::now();
  protocol::OnlineList online{{}, members->size()};
  const std::size_t listed = std::min(members->size(), protocol::kMaxListed);
  online.listed.reserve(listed);
  for (std::size_t i = 0; i < listed; ++i) {
    const auto& member = (*members)[i];
    online.listed.push_back({member.name,
                             std::chrono::duration_cast<std::chrono::seconds>(now - member.joined),
                             verified(member)});
  }
  return online;
}

bool Room::owned_by_another(std::string_view folded_name, std::string_view key) const {
  if (owners_ == nullptr) return false;
  const auto owner = owners_->owner_of_folded(folded_name);
  return owner.has_value() && *owner != key;
}

bool Room::verified(const Member& member) const {
  return owners_ != nullptr && owners_->owns_folded(member.folded_name, member.key);
}

std::size_t Room::size() const {
  return snapshot()->size();
}

std::shared_ptr<const Room::Members> Room::snapshot() const {
  std::lock_guard lock(mutex_);
  return members_;
}

}  // namespace lochat
