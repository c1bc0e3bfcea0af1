#include "password_prompt.hpp"

#include <cstdio>

#include "lochat/wire/protocol.hpp"
#include "lochat/wire/server_line.hpp"

namespace lochat::front_end {

std::string PasswordPrompt::answer() {
  std::unique_lock lock(mutex_);
  if (state_ != State::waiting) return password_;
  state_ = State::wanted;
  changed_.notify_all();
  changed_.wait(lock, [this] { return state_ == State::answered; });
  return password_;
}

void PasswordPrompt::observe(std::string_view line) {
  if (line == protocol::kWelcome || protocol::shows_nothing(line)) return;
  std::lock_guard lock(mutex_);
  if (state_ != State::waiting) return;
  state_ = State::settled;
  changed_.notify_all();
}

void PasswordPrompt::ask_if_wanted(std::chrono::milliseconds within) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, within, [this] { return state_ != State::waiting; });
  if (state_ == State::wanted) {
    lock.unlock();
    auto typed = ask_();
    lock.lock();
    password_ = typed.value_or("");
    state_ = State::answered;
  } else if (state_ == State::waiting) {
    state_ = State::settled;
  }
  changed_.notify_all();
}

}  // namespace lochat::front_end
