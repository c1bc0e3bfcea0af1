#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

// What the `lochat` client makes of server lines, with no terminal I/O:
// rendering, who is online (for tab completion) and name negotiation. Every
// class here belongs to the client's input thread alone.
namespace lochat::view {

enum class BellMode { all, mention, off };

struct Style {
  bool color = false;
  BellMode bell = BellMode::mention;
};

struct Rendered {
  std::string text;   // one line, no "\n", safe to print on a terminal
  bool ring = false;  // the terminal bell should ring for it
};

// One server line as the user sees it: "HH:MM " first (the original time for
// history), the sender's name in a colour of its own, private messages and
// actions marked, history dimmed, and no control characters from the peer.
Rendered render(std::string_view server_line, std::string_view clock_time, std::string_view my_name,
                const Style& style);

// How one of my own lines looks once the server has acknowledged it.
std::string render_own(std::string_view sent_line, std::string_view clock_time,
                       std::string_view my_name, const Style& style);

// True if `text` mentions `name` as a whole word, ignoring case.
bool mentions(std::string_view text, std::string_view name);

// A colour (an SGR code) that is always the same for the same name.
int name_color(std::string_view name);

// Who is online, kept up to date from notices; tab completion reads it.
class Roster {
 public:
  void observe(std::string_view server_line);
  [[nodiscard]] const std::set<std::string>& names() const { return names_; }

 private:
  std::set<std::string> names_;
};

// Completions of `prefix` among names and command names ("/msg", ...), sorted.
std::set<std::string> completions(std::string_view prefix, const Roster& roster);

// Takes a name at connect: asks for `wanted` and, while the server says it is
// taken, for wanted_2, wanted_3, ... (up to a bound).
class NameNegotiation {
 public:
  explicit NameNegotiation(std::string wanted);
  // The "/nick ..." line to send first.
  [[nodiscard]] std::string first_request() const;
  // Looks at one server line; returns the next "/nick ..." to send, if any.
  std::optional<std::string> observe(std::string_view server_line);
  [[nodiscard]] bool settled() const { return settled_; }
  [[nodiscard]] const std::string& name() const { return current_; }

 private:
  std::string wanted_;
  std::string current_;
  int attempt_ = 1;
  bool settled_ = false;
};

// A valid nickname made from a login name ("John Doe" -> "John_Doe").
std::string name_from_login(std::string_view login);

}  // namespace lochat::view
