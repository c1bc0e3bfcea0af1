#pragma once

#include <functional>
#include <string>
#include <string_view>

// How the `lochat` client shows server lines and its own, with no terminal
// I/O: time stamps, name colours, private messages and actions marked,
// history dimmed, peer text cleaned. Pure functions: any thread may call them
// (the console calls them from its input thread).
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
// history), the sender's name in a colour of its own (your own name in bold
// reverse video), notices in yellow, private messages and actions marked,
// history dimmed from end to end, and no control characters from the peer.
// A sender for whom `unverified` is true (a server that keeps names owned by
// keys, and a name its key does not own) gets a "?" after its name, dimmed.
using Unverified = std::function<bool(std::string_view sender)>;
Rendered render(std::string_view server_line, std::string_view clock_time, std::string_view my_name,
                const Style& style, const Unverified& unverified = {});

// How one of my own lines looks once the server has acknowledged it ("✓"),
// or, unconfirmed, as sent to a server that never acknowledges.
std::string render_own(std::string_view sent_line, std::string_view clock_time,
                       std::string_view my_name, const Style& style, bool confirmed = true);

// A warning of the client's own ("! text"), in bold red on a colour terminal:
// it must not pass for a line from the server or a peer.
std::string render_warning(std::string_view text, const Style& style);

// What to tell the user when the server gave it another name than it asked
// for: loudly, since someone else may be using its name (or another key owns it).
std::string name_lost_warning(std::string_view wanted, std::string_view got,
                              bool owned_by_another_key = false);

// True if `text` mentions `name` as a whole word, ignoring case.
bool mentions(std::string_view text, std::string_view name);

// A colour (an SGR code) that is always the same for the same name; never
// red, yellow or magenta, the colours of warnings, notices and private tags.
int name_color(std::string_view name);

}  // namespace lochat::view
