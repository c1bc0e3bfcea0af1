#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

// Asks for the server's password on the terminal (echo off) when the server
// says it needs one and no --password-file gave it. The question must come
// before the terminal front end (readline) takes the terminal, and the
// answer must go out before anything else: the receive thread says what the
// server wants (answer(), from ChatClient::Callbacks::password_for, waits),
// the input thread asks (ask_if_wanted(), right after connecting).
//
// Threads: answer() and observe() on the receive thread, ask_if_wanted() on
// the input thread; mutex_ guards state_ and password_.
namespace lochat::front_end {

class PasswordPrompt {
 public:
  using Ask = std::function<std::optional<std::string>()>;
  explicit PasswordPrompt(Ask ask) : ask_(std::move(ask)) {}

  // The receive thread: the server wants a password; the one typed, or "" if
  // none (the question came too late, or nothing was typed).
  std::string answer();
  // The receive thread, each line: a line other than the welcome before any
  // request means the server will not ask.
  void observe(std::string_view line);
  // The input thread: waits up to `within` for the server to say whether it
  // wants a password, and asks if it does. After this, answer() never waits.
  void ask_if_wanted(std::chrono::milliseconds within);

 private:
  enum class State { waiting, wanted, answered, settled };

  const Ask ask_;
  std::mutex mutex_;
  std::condition_variable changed_;
  State state_ = State::waiting;
  std::string password_;
};

}  // namespace lochat::front_end
