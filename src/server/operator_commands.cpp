#include <spdlog/spdlog.h>

#include <string>
#include <vector>

#include "command_handlers.hpp"
#include "lochat/server/ban_list.hpp"
#include "lochat/wire/commands.hpp"

// The moderation commands (docs/SECURITY.md): what operators do to others,
// and the topic and message of the day anyone may read. Every operator's
// action is a notice to everyone, naming the operator, and a log line.
namespace lochat::commands {

namespace {

using moderation::Clock;

void usage_of(CommandContext& context, std::string_view command) {
  context.reply(protocol::usage(find(command)->usage));
}

// The notice goes to everyone; the log gets the same words (cleaned with the line).
void log_action(std::string_view notice) {
  const auto words = notice.substr(protocol::kNoticePrefix.size());
  spdlog::info("Operator action: {}", words.substr(0, words.size() - 1));
}

void tell_and_log(CommandContext& context, std::string notice) {
  log_action(notice);
  context.tell_everyone(std::move(notice));
}

// A duration word at the start of `text`, if there is one: when it ends, and the rest.
std::pair<protocol::Until, std::string_view> take_duration(std::string_view text) {
  const auto [word, rest] = split_first_word(text);
  if (const auto duration = moderation::parse_duration(word))
    return {Clock::now() + *duration, rest};
  return {std::nullopt, text};
}

// What a ban of `target` keeps out: a key, an address, or an online member's
// address and key (so it cannot come back by reconnecting, nor from another
// machine with the same key). Empty if `target` is none of these.
std::vector<std::string> ban_targets(const CommandContext& context, std::string_view target) {
  if (auto key = moderation::parse_fingerprint(target)) return {*key};
  if (moderation::is_address(target)) return {std::string(target)};
  const auto member = context.member(target);
  if (!member) return {};
  auto identity = member->identity();
  std::vector<std::string> targets{identity.address};
  if (!identity.key.empty()) targets.push_back(identity.key);
  return targets;
}

// Members a ban of `target` removes at once; never an operator (who may
// share an address with the banned).
void kick_all_of(CommandContext& context, const std::string& target, const std::string& why) {
  for (const auto& member : context.members()) {
    const auto identity = member->identity();
    const bool matches =
        identity.address == target || (!identity.key.empty() && identity.key == target);
    if (matches && !context.moderation().is_operator(identity.key)) member->kick(why);
  }
}

// Mutes hold for the key when there is one (the person, from any address),
// else for the address.
std::string mute_target(const Participant& member) {
  auto identity = member.identity();
  return identity.key.empty() ? identity.address : identity.key;
}

}  // namespace

void topic(CommandContext& context, std::string_view text) {
  if (text.empty()) return context.reply(protocol::topic(context.moderation().topic()));
  if (!context.is_operator()) return context.reply(protocol::operators_only("topic"));
  context.moderation().set_topic(std::string(text));
  tell_and_log(context, protocol::topic_set(context.name(), text));
}

void motd(CommandContext& context, std::string_view /*argument*/) {
  const auto lines = context.moderation().motd();
  if (lines.empty()) return context.reply(protocol::no_motd());
  for (const auto& line : lines) context.reply(protocol::motd(line));
}

void kick(CommandContext& context, std::string_view argument) {
  const auto [name, reason] = split_first_word(argument);
  if (name.empty()) return usage_of(context, "kick");
  const auto member = context.member(name);
  if (!member) return context.reply(protocol::nobody_called(name));
  // The room hears it once, in the member's departure line, which names the
  // operator and the reason and is what rosters read to drop the name. The
  // operator is answered too: no departure line goes out for a member whose
  // arrival was never told, nor past --presence-limit.
  member->kick(protocol::removed_by("kicked", context.name(), reason));
  auto notice = protocol::operator_action(context.name(), "kicked", name, std::nullopt, reason);
  log_action(notice);
  context.reply(std::move(notice));
}

void ban(CommandContext& context, std::string_view argument) {
  const auto [target, rest] = split_first_word(argument);
  if (target.empty()) return usage_of(context, "ban");
  const auto targets = ban_targets(context, target);
  if (targets.empty()) return context.reply(protocol::unknown_target(target));
  const auto [until, reason] = take_duration(rest);
  const std::string why = protocol::removed_by("banned", context.name(), reason);
  for (const auto& banned : targets) {
    context.moderation().ban({banned, until, context.name(), std::string(reason)});
    kick_all_of(context, banned, why);
  }
  tell_and_log(context, protocol::operator_action(context.name(), "banned", target, until, reason));
}

void unban(CommandContext& context, std::string_view argument) {
  const auto [target, rest] = split_first_word(argument);
  if (target.empty() || !rest.empty()) return usage_of(context, "unban");
  const std::string lifted = moderation::parse_fingerprint(target).value_or(std::string(target));
  if (!context.moderation().unban(lifted)) return context.reply(protocol::not_banned(target));
  tell_and_log(context,
               protocol::operator_action(context.name(), "unbanned", lifted, std::nullopt, ""));
}

void bans(CommandContext& context, std::string_view /*argument*/) {
  const auto in_force = context.moderation().bans();
  context.reply(protocol::ban_list_header(in_force.size()));
  for (const auto& ban : in_force) {
    context.reply(protocol::ban_entry(ban.target, ban.until, ban.by, ban.reason));
  }
}

void mute(CommandContext& context, std::string_view argument) {
  const auto [name, rest] = split_first_word(argument);
  const auto [until, unread] = take_duration(rest);
  if (name.empty() || !unread.empty()) return usage_of(context, "mute");
  const auto member = context.member(name);
  if (!member) return context.reply(protocol::nobody_called(name));
  context.moderation().mute({mute_target(*member), until, context.name(), ""});
  tell_and_log(context, protocol::operator_action(context.name(), "muted", name, until, ""));
}

void unmute(CommandContext& context, std::string_view argument) {
  const auto [name, rest] = split_first_word(argument);
  if (name.empty() || !rest.empty()) return usage_of(context, "unmute");
  const auto member = context.member(name);
  if (!member) return context.reply(protocol::nobody_called(name));
  if (!context.moderation().unmute(mute_target(*member))) {
    return context.reply(protocol::not_muted(name));
  }
  tell_and_log(context,
               protocol::operator_action(context.name(), "unmuted", name, std::nullopt, ""));
}

void free(CommandContext& context, std::string_view argument) {
  const auto [name, rest] = split_first_word(argument);
  if (name.empty() || !rest.empty()) return usage_of(context, "free");
  if (!context.free_name(name)) return context.reply(protocol::not_owned(name));
  tell_and_log(context,
               protocol::operator_action(context.name(), "freed the name", name, std::nullopt, ""));
}

}  // namespace lochat::commands
