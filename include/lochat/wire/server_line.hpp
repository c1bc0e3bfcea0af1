#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "lochat/wire/protocol.hpp"

// The client's one classifier of server lines: every line `lochat` receives
// goes through classify() once, and nothing else in the client looks at a
// line's words. It reads back what protocol.hpp builds, and the lines of the
// chat servers lochat also meets: `ncat --chat` ("<user5> text", "<announce>
// ...") and the original LoChat server ("From IP: text"). Pure: any thread.
namespace lochat::protocol {

struct ServerLine {
  enum class Kind { welcome, ack, relay, private_message, action, notice, error, other };
  // What a notice or error says, where the client acts on it.
  enum class Topic {
    none,
    joined,         // subject joined
    left,           // subject left; detail: the reason it gave (/quit), if any
    disconnected,   // subject was disconnected by the server
    renamed,        // subject is now known as detail
    you_are_now,    // our name is now subject
    online,         // detail is the list "alice (5m), bob (12s)"
    name_taken,     // subject is taken
    name_owned,     // subject belongs to another key
    verified,       // subject's key owns its name
    unverified,     // subject's key no longer owns its name
    invalid_name,   // subject is not a valid name
    line_too_long,  // a line we sent was refused
    usage,          // a command we sent was malformed
    nobody_called,  // a /msg we sent had no recipient
    about_server,   // lochat-server says what it is (read it with describe())
  };
  Kind kind = Kind::other;
  Topic topic = Topic::none;
  std::string_view sender;      // relay, private_message, action
  std::string_view text;        // the part after the prefix and sender; other: the whole line
  std::string_view subject;     // see Topic
  std::string_view detail;      // see Topic
  bool replayed = false;        // a "History" line: kind and fields describe the line inside
  std::string_view clock_time;  // replayed only: "HH:MM" when it was first sent
};

// `line` without its "\n".
ServerLine classify(std::string_view line);

// The server's self-description (protocol::self_description()), if `line` is one.
std::optional<ServerDescription> describe(std::string_view line);

// True for a line with nothing to show: empty or only blanks (the original
// server starts its lines with "\n", so an empty line comes before each).
bool shows_nothing(std::string_view line);

// The names in an online list's detail ("alice (5m), bob (12s)"), in order.
std::vector<std::string_view> names_in_online_list(std::string_view detail);
struct ListedName {
  std::string_view name;
  bool verified = false;  // "bob (12s; verified)"
};
// The same, with each name's mark.
std::vector<ListedName> entries_in_online_list(std::string_view detail);

// True for an error that the server sends instead of "Message Received" for
// the line it answers, so the client stops waiting for that line's confirmation.
bool answers_instead_of_ack(const ServerLine& line);

}  // namespace lochat::protocol
