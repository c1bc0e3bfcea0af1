#pragma once

#include <string_view>
#include <utility>

#include "lochat/server/commands.hpp"

// The handlers of the command table that live outside commands.cpp: the
// moderation commands (operator_commands.cpp). Each runs on the typing
// client's session thread, like every handler (commands.hpp).
namespace lochat::commands {

// "bob  spamming hard" -> {"bob", "spamming hard"}: the first word and the rest, blanks trimmed.
std::pair<std::string_view, std::string_view> split_first_word(std::string_view text);

// Anyone: /topic shows the topic (setting it is for operators), /motd the message of the day.
void topic(CommandContext& context, std::string_view text);
void motd(CommandContext& context, std::string_view argument);
// Operators only (dispatch() checks).
void kick(CommandContext& context, std::string_view argument);
void ban(CommandContext& context, std::string_view argument);
void unban(CommandContext& context, std::string_view argument);
void bans(CommandContext& context, std::string_view argument);
void mute(CommandContext& context, std::string_view argument);
void unmute(CommandContext& context, std::string_view argument);
void free(CommandContext& context, std::string_view argument);

}  // namespace lochat::commands
