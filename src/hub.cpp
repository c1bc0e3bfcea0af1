#include "lochat/hub.hpp"

#include <algorithm>
#include <utility>

namespace lochat {

SharedLine make_shared_line(std::string text) {
  return std::make_shared<const std::string>(std::move(text));
}

Hub::Hub() : members_(std::make_shared<const Members>()) {}

void Hub::join(std::shared_ptr<Participant> participant) {
  std::lock_guard lock(mutex_);
  auto next = std::make_shared<Members>(*members_);
  next->push_back(std::move(participant));
  members_ = std::move(next);
}

void Hub::leave(const Participant* participant) {
  std::lock_guard lock(mutex_);
  auto next = std::make_shared<Members>(*members_);
  std::erase_if(*next, [participant](const auto& member) { return member.get() == participant; });
  members_ = std::move(next);
}

void Hub::broadcast(const SharedLine& line, const Participant* except) const {
  const auto members = snapshot();
  for (const auto& member : *members) {
    if (member.get() != except) member->deliver(line);
  }
}

std::size_t Hub::size() const { return snapshot()->size(); }

std::shared_ptr<const Hub::Members> Hub::snapshot() const {
  std::lock_guard lock(mutex_);
  return members_;
}

}  // namespace lochat
