#pragma once

#include "lochat/server/participant.hpp"

// For the server's unit tests: a member of the room that takes every line
// and keeps none, where only its identity matters. Any thread.
namespace lochat::test {

class SilentParticipant final : public Participant {
 public:
  Delivery deliver(std::span<const SharedLine> /*lines*/, const Participant* /*from*/,
                   Audience /*audience*/) override {
    return Delivery::done;
  }
  void flush_held() override {}
  [[nodiscard]] std::size_t backlog_bytes() const override { return 0; }
  void evict() override {}
};

}  // namespace lochat::test
