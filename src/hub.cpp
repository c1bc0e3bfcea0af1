#include "lochat/hub.hpp"

#include <algorithm>
#include <utility>

#include "lochat/text.hpp"

namespace lochat {

SharedLine make_shared_line(std::string text) {
  return std::make_shared<const std::string>(std::move(text));
}

Hub::Hub() : members_(std::make_shared<const Members>()) {}

void Hub::join(std::shared_ptr<Participant> participant, std::string name) {
  Member member{std::move(participant), name, text::fold_name(name),
                std::chrono::steady_clock::now()};
  std::lock_guard lock(mutex_);
  auto next = std::make_shared<Members>(*members_);
  next->push_back(std::move(member));
  members_ = std::move(next);
}

void Hub::leave(const Participant* participant) {
  std::lock_guard lock(mutex_);
  auto next = std::make_shared<Members>(*members_);
  std::erase_if(*next, [participant](const Member& member) {
    return member.participant.get() == participant;
  });
  members_ = std::move(next);
}

bool Hub::rename(const Participant* participant, const std::string& name) {
  const std::string folded = text::fold_name(name);
  std::lock_guard lock(mutex_);
  const bool taken = std::any_of(members_->begin(), members_->end(), [&](const Member& member) {
    return member.folded_name == folded && member.participant.get() != participant;
  });
  if (taken) return false;
  auto next = std::make_shared<Members>(*members_);
  for (auto& member : *next) {
    if (member.participant.get() == participant) {
      member.name = name;
      member.folded_name = folded;
    }
  }
  members_ = std::move(next);
  return true;
}

void Hub::broadcast(std::span<const SharedLine> lines, const Participant* from,
                    HeldBack& held_back) const {
  const auto members = snapshot();
  for (const auto& member : *members) {
    if (member.participant.get() == from) continue;
    if (member.participant->deliver(lines, from) == Participant::Delivery::held_back) {
      held_back.push_back(member.participant);
    }
  }
}

void Hub::broadcast(const SharedLine& line, const Participant* from, HeldBack& held_back) const {
  broadcast(std::span(&line, 1), from, held_back);
}

std::shared_ptr<Participant> Hub::find(std::string_view name) const {
  const std::string folded = text::fold_name(name);
  const auto members = snapshot();
  const auto found = std::find_if(members->begin(), members->end(), [&](const Member& member) {
    return member.folded_name == folded;
  });
  return found == members->end() ? nullptr : found->participant;
}

std::vector<Hub::MemberInfo> Hub::members() const {
  const auto members = snapshot();
  std::vector<MemberInfo> infos;
  infos.reserve(members->size());
  for (const auto& member : *members) infos.push_back({member.name, member.joined});
  return infos;
}

std::size_t Hub::size() const {
  return snapshot()->size();
}

std::shared_ptr<const Hub::Members> Hub::snapshot() const {
  std::lock_guard lock(mutex_);
  return members_;
}

}  // namespace lochat
