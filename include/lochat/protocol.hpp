#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

// The wire protocol, as docs/PROTOCOL.md describes it: UTF-8 lines ending in "\n".
namespace lochat::protocol {

inline constexpr std::string_view kWelcome = "Welcome to LoChat!";
inline constexpr std::string_view kAck = "Message Received";
inline constexpr std::string_view kRelayPrefix = "From ";
inline constexpr std::string_view kNoticePrefix = "*** ";
inline constexpr std::string_view kErrorPrefix = "Error: ";
inline constexpr char kCommandPrefix = '/';
inline constexpr std::string_view kPrivatePrefix = "Private from ";
inline constexpr std::string_view kActionPrefix = "* ";
inline constexpr std::string_view kHistoryPrefix = "History ";
inline constexpr std::string_view kShutdownNotice = "Server is shutting down";

// Server-to-client lines, each with its trailing "\n".
std::string line(std::string_view text);
std::string relay(std::string_view sender, std::string_view text);
std::string notice(std::string_view text);
std::string error(std::string_view text);
std::string private_message(std::string_view sender, std::string_view text);
std::string action(std::string_view sender, std::string_view text);
// A public line replayed to a newcomer: "History HH:MM " + the line as first sent.
// "HH:MM" in local time: the stamp of history lines, and of lines on the client's screen.
std::string clock_time_now();
std::string history(std::string_view clock_time, std::string_view original_line);

// Presence notices.
std::string joined(std::string_view name, std::size_t online);
std::string left(std::string_view name, std::size_t online, std::string_view reason);
std::string renamed(std::string_view old_name, std::string_view new_name);
struct OnlineEntry {
  std::string name;
  std::chrono::seconds connected;
};
// "*** Online (2): alice (5m), bob (12s)"; past kMaxListed names, "… and N more",
// so the line stays short however many are online.
inline constexpr std::size_t kMaxListed = 100;
std::string online_list(const std::vector<OnlineEntry>& entries);
// "12s", "5m", "2h 3m": how long someone has been connected.
std::string short_duration(std::chrono::seconds duration);

// What a client typed, once the server has read it.
struct ClientLine {
  enum class Kind { empty, chat, command };
  Kind kind = Kind::empty;
  std::string_view text;      // chat: the message ("//x" unescaped to "/x")
  std::string_view command;   // command: its name without "/", e.g. "quit"
  std::string_view argument;  // command: the rest, leading blanks trimmed
};
ClientLine parse_client_line(std::string_view line);

// What the server sent, as a client sees it.
struct ServerLine {
  enum class Kind { welcome, ack, relay, private_message, action, notice, error, other };
  Kind kind = Kind::other;
  std::string_view sender;      // relay, private_message, action
  std::string_view text;        // the part after the prefix and sender; other: the whole line
  bool replayed = false;        // a "History" line: kind and fields describe the line inside
  std::string_view clock_time;  // replayed only: "HH:MM" when it was first sent
};
ServerLine parse_server_line(std::string_view line);

}  // namespace lochat::protocol
