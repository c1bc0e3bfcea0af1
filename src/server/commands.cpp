#include "lochat/server/commands.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "command_handlers.hpp"
#include "lochat/wire/commands.hpp"
#include "lochat/wire/text.hpp"

namespace lochat::commands {

std::pair<std::string_view, std::string_view> split_first_word(std::string_view text) {
  const auto end = text.find_first_of(" \t");
  if (end == std::string_view::npos) return {text, {}};
  auto rest = text.substr(end);
  rest.remove_prefix(std::min(rest.find_first_not_of(" \t"), rest.size()));
  return {text.substr(0, end), rest};
}

namespace {

// A muted client's lines are refused, each with the reason; true if it is muted.
bool refused_as_muted(CommandContext& context) {
  const auto mute = context.muted();
  if (mute) context.reply(protocol::you_are_muted(mute->until));
  return mute.has_value();
}

void nick(CommandContext& context, std::string_view argument) {
  // The name is the whole rest of the line: "al ice" is refused, not taken as "al".
  const auto end = argument.find_last_not_of(" \t");
  const std::string name =
      text::normalize_name(argument.substr(0, end == std::string_view::npos ? 0 : end + 1));
  if (auto problem = text::name_problem(name)) {
    context.reply(protocol::invalid_name(name, *problem));
    return;
  }
  switch (context.rename(name)) {
    case CommandContext::Rename::taken:
      context.reply(protocol::name_taken(name));
      return;
    case CommandContext::Rename::owned:
      context.reply(protocol::name_owned(name));
      return;
    case CommandContext::Rename::done:
    case CommandContext::Rename::unchanged:
      context.reply(protocol::you_are_now(name));
      return;
  }
}

void release(CommandContext& context, std::string_view /*argument*/) {
  context.reply(context.release_name() == CommandContext::Release::released
                    ? protocol::released(context.name())
                    : protocol::not_your_name(context.name()));
}

void who(CommandContext& context, std::string_view /*argument*/) {
  context.reply(protocol::online_list(context.online()));
}

void msg(CommandContext& context, std::string_view argument) {
  const auto [recipient, message] = split_first_word(argument);
  if (recipient.empty() || message.empty()) {
    context.reply(protocol::usage(find("msg")->usage));
    return;
  }
  if (refused_as_muted(context)) return;
  const std::string line = protocol::private_message(context.name(), message);
  if (!context.send_private(recipient, line)) {
    context.reply(protocol::nobody_called(recipient));
    return;
  }
  context.reply(protocol::ack());
}

void me(CommandContext& context, std::string_view text) {
  if (text.empty()) {
    context.reply(protocol::usage(find("me")->usage));
    return;
  }
  if (refused_as_muted(context)) return;
  context.reply(protocol::ack());
  context.publish(protocol::action(context.name(), text));
}

// Operators' commands are listed to operators only: to anyone else they are refused.
void help(CommandContext& context, std::string_view /*argument*/) {
  for (const auto& command : all()) {
    if (command.permission == Permission::everyone || context.is_operator()) {
      context.reply(protocol::help(help_line(command)));
    }
  }
  context.reply(protocol::help(kEscapeHelp));
}

void quit(CommandContext& context, std::string_view reason) {
  context.reply(protocol::goodbye(reason));
  context.quit(reason);
}

// A password is checked before the session joins the room (server/password_gate.hpp);
// once it is in, or on a server without one, there is nothing to prove.
void pass(CommandContext& context, std::string_view /*password*/) {
  context.reply(protocol::no_password_needed());
}

// One row per command of the wire table.
struct Handler {
  std::string_view name;
  void (*run)(CommandContext& context, std::string_view argument);
  bool announces_first;
};

constexpr std::array kHandlers{
    Handler{"nick", nick, false},  Handler{"who", who, true},
    Handler{"msg", msg, true},     Handler{"me", me, true},
    Handler{"help", help, true},   Handler{"quit", quit, true},
    Handler{"pass", pass, true},   Handler{"release", release, true},
    Handler{"topic", topic, true}, Handler{"motd", motd, true},
    Handler{"kick", kick, true},   Handler{"ban", ban, true},
    Handler{"unban", unban, true}, Handler{"bans", bans, true},
    Handler{"mute", mute, true},   Handler{"unmute", unmute, true},
    Handler{"free", free, true},
};

}  // namespace

void dispatch(CommandContext& context, std::string_view command, std::string_view argument) {
  const auto handler = std::find_if(kHandlers.begin(), kHandlers.end(),
                                    [command](const Handler& row) { return row.name == command; });
  const auto* info = find(command);
  if (handler == kHandlers.end() || info == nullptr) {
    context.reply(protocol::unknown_command(command));
    return;
  }
  if (handler->announces_first) context.announce();
  if (info->permission == Permission::operators && !context.is_operator()) {
    context.reply(protocol::operators_only(command));
    return;
  }
  handler->run(context, argument);
}

}  // namespace lochat::commands
