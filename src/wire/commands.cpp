#include "lochat/wire/commands.hpp"

#include <algorithm>
#include <array>

#include "lochat/wire/protocol.hpp"
#include "lochat/wire/text.hpp"

namespace lochat::commands {

std::span<const CommandInfo> all() {
  constexpr auto kOperators = Permission::operators;
  static constexpr std::array kCommands{
      CommandInfo{"nick", "/nick NAME", "change your name", false},
      CommandInfo{"who", "/who", "who is online, and for how long", false},
      CommandInfo{"msg", "/msg NAME text", "a private message to NAME only", true},
      CommandInfo{"me", "/me text", "an action, shown as \"* you text\"", true},
      CommandInfo{"help", "/help", "list the commands", false},
      CommandInfo{"quit", "/quit [reason]", "leave the chat", false},
      CommandInfo{"pass", "/pass PASSWORD", "prove the server's password (first, over TLS)", false},
      CommandInfo{"release", "/release", "give up your name: your key no longer owns it", false},
      CommandInfo{"topic", "/topic [TEXT]", "show the topic; operators set it", false},
      CommandInfo{"motd", "/motd", "show the message of the day again", false},
      CommandInfo{"kick", "/kick NAME [reason]", "disconnect NAME", false, kOperators},
      CommandInfo{"ban", "/ban TARGET [duration] [reason]",
                  "keep out TARGET: a NAME online (its address and key), an ADDRESS or a key; "
                  "duration 30s, 10m, 2h, 1d, 1w, or none: for ever",
                  false, kOperators},
      CommandInfo{"unban", "/unban TARGET", "lift the ban of an ADDRESS or a key", false,
                  kOperators},
      CommandInfo{"bans", "/bans", "list the bans in force", false, kOperators},
      CommandInfo{"mute", "/mute NAME [duration]", "refuse NAME's lines (they still read)", false,
                  kOperators},
      CommandInfo{"unmute", "/unmute NAME", "let NAME speak again", false, kOperators},
      CommandInfo{"free", "/free NAME", "free a name a key owns, for any key to take", false,
                  kOperators},
  };
  return kCommands;
}

const CommandInfo* find(std::string_view name) {
  const auto table = all();
  const auto found = std::find_if(table.begin(), table.end(),
                                  [name](const CommandInfo& known) { return known.name == name; });
  return found == table.end() ? nullptr : &*found;
}

std::string help_line(const CommandInfo& command) {
  return std::string(command.usage) + " - " + std::string(command.help);
}

bool expects_ack(std::string_view client_line) {
  // Judged on the line as the server will see it: cleaned first (a line of
  // control characters only is empty there, and gets no answer).
  const std::string clean = text::sanitize(client_line);
  const auto parsed = protocol::parse_client_line(clean);
  if (parsed.kind == protocol::ClientLine::Kind::chat) return true;
  if (parsed.kind != protocol::ClientLine::Kind::command) return false;
  const auto* command = find(parsed.command);
  return command != nullptr && command->acknowledged;
}

std::string as_text(std::string_view text) {
  return text.starts_with('/') ? "/" + std::string(text) : std::string(text);
}

}  // namespace lochat::commands
