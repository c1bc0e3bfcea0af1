#pragma once

#include <optional>
#include <string>
#include <string_view>

// How `lochat` takes its name at connect. Belongs to the client's input
// thread alone; not thread-safe.
namespace lochat::view {

// Asks for `wanted` and, while the server says it is taken (or belongs to
// another key), for wanted_2, wanted_3, ... (up to a bound).
class NameNegotiation {
 public:
  explicit NameNegotiation(std::string wanted);
  // The "/nick ..." line to send first.
  [[nodiscard]] std::string first_request() const;
  // Looks at one server line; returns the next "/nick ..." to send, if any.
  std::optional<std::string> observe(std::string_view server_line);
  [[nodiscard]] bool settled() const { return settled_; }
  [[nodiscard]] const std::string& name() const { return current_; }
  [[nodiscard]] const std::string& wanted() const { return wanted_; }
  // Settled on another name than the one asked for (a variant, or none at all).
  [[nodiscard]] bool lost_wanted_name() const { return settled_ && current_ != wanted_; }
  // What to tell the user once lost_wanted_name() (view::name_lost_warning).
  [[nodiscard]] std::string lost_name_warning() const;

 private:
  std::string wanted_;
  std::string current_;
  int attempt_ = 1;
  bool settled_ = false;
  bool wanted_owned_ = false;
};

// A valid nickname made from a login name ("John Doe" -> "John_Doe").
std::string name_from_login(std::string_view login);

}  // namespace lochat::view
