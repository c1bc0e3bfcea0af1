#pragma once

#include <set>
#include <string>
#include <string_view>

#include "lochat/client/view.hpp"

// Who is online as the client knows it, kept up to date from the roster line
// and presence notices, which of them are verified (their key owns their
// name: marked in the list, told in a notice after a join or rename), and
// what tab completion offers. Belongs to the
// client's input thread alone; not thread-safe.
namespace lochat::view {

class Roster {
 public:
  void observe(std::string_view server_line);
  [[nodiscard]] const std::set<std::string>& names() const { return names_; }
  // True once the server has said `name`'s key owns it (and not taken it back).
  [[nodiscard]] bool verified(std::string_view name) const {
    return verified_.find(name) != verified_.end();
  }
  // For view::render(): every sender not verified, on a server that keeps
  // names owned by keys (`owned_names`); none on any other.
  [[nodiscard]] view::Unverified unverified_senders(bool owned_names) const;

 private:
  void forget(std::string_view name);

  std::set<std::string> names_;
  std::set<std::string, std::less<>> verified_;
};

// Completions of `prefix` among names and command names ("/msg", ...), sorted.
std::set<std::string> completions(std::string_view prefix, const Roster& roster);

}  // namespace lochat::view
