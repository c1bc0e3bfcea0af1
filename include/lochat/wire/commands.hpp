#pragma once

#include <span>
#include <string>
#include <string_view>

// The one list of the commands a client can type ("/nick NAME", ...): their
// names, usage and help. The server's /help, its dispatch table
// (server/commands.hpp), the client's tab completion and which lines the
// client waits to see confirmed all read it; a test checks that
// docs/PROTOCOL.md lists every entry. Pure data: any thread may read it.
namespace lochat::commands {

// Who may use a command. An operator is a client whose TLS key the server's
// --ops-file lists (docs/SECURITY.md); /help lists operators' commands to operators only.
enum class Permission { everyone, operators };

struct CommandInfo {
  std::string_view name;   // without the "/"
  std::string_view usage;  // "/msg NAME text"
  std::string_view help;   // "a private message to NAME only"
  // The server answers a well-formed use with "Message Received", as it does a chat line.
  bool acknowledged = false;
  Permission permission = Permission::everyone;
};

// In the order /help lists them.
std::span<const CommandInfo> all();
// The command called `name` (without "/"), or nullptr.
const CommandInfo* find(std::string_view name);
// "/msg NAME text - a private message to NAME only": one /help line.
std::string help_line(const CommandInfo& command);
// True if the server answers `client_line` (as typed, without "\n") with
// "Message Received" when it is well formed: a chat line or an acknowledged command.
bool expects_ack(std::string_view client_line);
// The client line that sends `text` to everyone as it is, never as a
// command: a leading "/" gets a second one, which the server drops ("//").
std::string as_text(std::string_view text);
// The last /help line: how to send a message that starts with "/".
inline constexpr std::string_view kEscapeHelp = "//text - send a message that starts with /";

}  // namespace lochat::commands
