#pragma once

#include <string>
#include <string_view>

// The wire protocol, as docs/PROTOCOL.md describes it: UTF-8 lines ending in "\n".
namespace lochat::protocol {

inline constexpr std::string_view kWelcome = "Welcome to LoChat!";
inline constexpr std::string_view kAck = "Message Received";
inline constexpr std::string_view kRelayPrefix = "From ";
inline constexpr std::string_view kNoticePrefix = "*** ";
inline constexpr std::string_view kErrorPrefix = "Error: ";
inline constexpr char kCommandPrefix = '/';
inline constexpr std::string_view kShutdownNotice = "Server is shutting down";

// Server-to-client lines, each with its trailing "\n".
std::string line(std::string_view text);
std::string relay(std::string_view sender, std::string_view text);
std::string notice(std::string_view text);
std::string error(std::string_view text);

// What a client typed, once the server has read it.
struct ClientLine {
  enum class Kind { empty, chat, command };
  Kind kind = Kind::empty;
  std::string_view text;     // chat: the message ("//x" unescaped to "/x")
  std::string_view command;  // command: its name without "/", e.g. "quit"
  std::string_view argument; // command: the rest, leading blanks trimmed
};
ClientLine parse_client_line(std::string_view line);

// What the server sent, as a client sees it.
struct ServerLine {
  enum class Kind { welcome, ack, relay, notice, error, other };
  Kind kind = Kind::other;
  std::string_view sender;  // relay only
  std::string_view text;    // relay, notice, error: the part after the prefix; other: the line
};
ServerLine parse_server_line(std::string_view line);

}  // namespace lochat::protocol
