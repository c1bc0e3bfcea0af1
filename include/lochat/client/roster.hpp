#pragma once

#include <set>
#include <string>
#include <string_view>

// Who is online as the client knows it, kept up to date from the roster line
// and presence notices, and what tab completion offers. Belongs to the
// client's input thread alone; not thread-safe.
namespace lochat::view {

class Roster {
 public:
  void observe(std::string_view server_line);
  [[nodiscard]] const std::set<std::string>& names() const { return names_; }

 private:
  std::set<std::string> names_;
};

// Completions of `prefix` among names and command names ("/msg", ...), sorted.
std::set<std::string> completions(std::string_view prefix, const Roster& roster);

}  // namespace lochat::view
