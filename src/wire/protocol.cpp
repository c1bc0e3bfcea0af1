#include "lochat/wire/protocol.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <ctime>
#include <string>

#include "lochat/wire/commands.hpp"

namespace lochat::protocol {

namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim_leading_blanks(std::string_view text) {
  while (!text.empty() && is_blank(text.front())) text.remove_prefix(1);
  return text;
}

std::string line(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 1);
  out.append(text);
  out.push_back('\n');
  return out;
}

std::string notice(std::string_view text) {
  return line(std::string(kNoticePrefix).append(text));
}

// "10", "0.5": the shortest form that reads back as the same rate.
std::string rate_text(double rate) {
  std::array<char, 32> text{};
  std::snprintf(text.data(), text.size(), "%g", rate);
  return text.data();
}

std::string flood_limit(const ServerDescription& limits) {
  if (limits.rate <= 0) return std::string(kNoFloodLimit);
  return std::to_string(limits.burst) + std::string(kBurstEnd) + rate_text(limits.rate) +
         std::string(kRateEnd);
}

}  // namespace

std::string welcome() {
  return line(kWelcome);
}

std::string self_description(const ServerDescription& description) {
  std::string text = std::string(kSelfDescription) + std::to_string(description.version);
  if (description.acknowledges) text.append(kFieldSeparator).append(kAcknowledges);
  text.append(kFieldSeparator).append(kCommandsField);
  const char* separator = "";
  for (const auto& command : commands::all()) {
    text.append(separator).append(1, kCommandPrefix).append(command.name);
    separator = " ";
  }
  text.append(kFieldSeparator).append(kFloodField).append(flood_limit(description));
  text.append(kFieldSeparator).append(kMaxLineField);
  text.append(std::to_string(description.max_line)).append(kMaxLineEnd);
  if (description.owned_names) text.append(kFieldSeparator).append(kOwnedNamesField);
  // Last: nothing more comes until the password (docs/PROTOCOL.md).
  if (description.password_port != 0) {
    text.append(kFieldSeparator).append(kPasswordField).append(kPasswordFieldPort);
    text.append(std::to_string(description.password_port)).append(")");
  }
  return notice(text);
}

std::string ack() {
  return line(kAck);
}

std::string relay(std::string_view sender, std::string_view text) {
  std::string out;
  out.reserve(kRelayPrefix.size() + sender.size() + 2 + text.size() + 1);
  out.append(kRelayPrefix).append(sender).append(": ").append(text).push_back('\n');
  return out;
}

std::string private_message(std::string_view sender, std::string_view text) {
  return line(std::string(kPrivatePrefix).append(sender).append(": ").append(text));
}

std::string action(std::string_view sender, std::string_view text) {
  return line(std::string(kActionPrefix).append(sender).append(" ").append(text));
}

std::string clock_time_now() {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  std::array<char, 8> text{};
  std::strftime(text.data(), text.size(), "%H:%M", &local);
  return text.data();
}

std::string history(std::string_view clock_time, std::string_view original_line) {
  if (original_line.ends_with('\n')) original_line.remove_suffix(1);
  return line(std::string(kHistoryPrefix).append(clock_time).append(" ").append(original_line));
}

std::string joined(std::string_view name, std::size_t online) {
  return notice(std::string(name) + std::string(kJoined) + std::to_string(online) + " online)");
}

std::string left(std::string_view name, std::size_t online, std::string_view reason) {
  std::string text = std::string(name) + std::string(kLeft) + std::to_string(online) + " online)";
  if (!reason.empty()) text.append(": ").append(reason);
  return notice(text);
}

std::string disconnected(std::string_view name, std::string_view reason, std::size_t online) {
  return notice(std::string(name) + std::string(kWasDisconnected) + std::string(reason) + " (" +
                std::to_string(online) + " online)");
}

std::string renamed(std::string_view old_name, std::string_view new_name) {
  return notice(std::string(old_name) + std::string(kRenamed) + std::string(new_name));
}

std::string you_are_now(std::string_view name) {
  return notice(std::string(kYouAreNow) + std::string(name));
}

std::string goodbye(std::string_view reason) {
  return notice("Goodbye (" + std::string(reason.empty() ? "Bye" : reason) + ")");
}

std::string shutting_down() {
  return notice(kShutdownNotice);
}

std::string help(std::string_view help_line) {
  return notice(help_line);
}

std::string verified(std::string_view name) {
  return notice(std::string(name) + std::string(kVerified) + "the name belongs to their key)");
}

std::string no_longer_verified(std::string_view name) {
  return notice(std::string(name) + std::string(kNoLongerVerified) + "gave up the name)");
}

std::string released(std::string_view name) {
  return notice("Your key no longer owns the name " + std::string(name) +
                ": any key may take it once it is free");
}

std::string slow_down(std::size_t waiting, const ServerDescription& limits,
                      std::size_t flood_lines) {
  return notice("Slow down: " + std::to_string(waiting) +
                " of your lines are waiting (flood limit " + flood_limit(limits) +
                "); with more than " + std::to_string(flood_lines) +
                " waiting you will be disconnected");
}

std::string online_list(const OnlineList& online) {
  std::string text = std::string(kOnline) + std::to_string(online.total) + "):";
  const char* separator = " ";
  const std::size_t listed = std::min({online.listed.size(), kMaxListed, online.total});
  for (std::size_t i = 0; i < listed; ++i) {
    text.append(separator).append(online.listed[i].name).append(" (");
    text.append(short_duration(online.listed[i].connected));
    text.append(online.listed[i].verified ? kVerifiedMark : "").append(")");
    separator = ", ";
  }
  if (listed < online.total) {
    text.append(" and ").append(std::to_string(online.total - listed)).append(" more");
  }
  return notice(text);
}

std::string online_list(const std::vector<OnlineEntry>& entries) {
  return online_list(OnlineList{entries, entries.size()});
}

std::string short_duration(std::chrono::seconds duration) {
  const auto total = duration.count();
  if (total < 60) return std::to_string(total) + "s";
  if (total < 3600) return std::to_string(total / 60) + "m";
  return std::to_string(total / 3600) + "h " + std::to_string(total % 3600 / 60) + "m";
}

std::string error(std::string_view text) {
  return line(std::string(kErrorPrefix).append(text));
}

std::string line_too_long(std::size_t max_line) {
  return error(std::string(kLineTooLong) + std::to_string(max_line) + " bytes), not sent");
}

std::string unknown_command(std::string_view command) {
  return error("unknown command /" + std::string(command) + " (try /help)");
}

std::string usage(std::string_view usage_text) {
  return error(std::string(kUsage).append(usage_text));
}

std::string invalid_name(std::string_view name, std::string_view problem) {
  return error(std::string(kInvalidName) + std::string(name) + "': " + std::string(problem));
}

std::string name_taken(std::string_view name) {
  return error(std::string(kNameTaken) + std::string(name) + std::string(kNameTakenEnd));
}

std::string name_owned(std::string_view name) {
  return error(std::string(kNameTaken) + std::string(name) + std::string(kNameOwnedEnd));
}

std::string not_your_name(std::string_view name) {
  return error("your key does not own the name " + std::string(name) +
               " (only a key presented over TLS, as lochat does, owns a name)");
}

std::string nobody_called(std::string_view name) {
  return error(std::string(kNobodyCalled) + std::string(name) + " is online");
}

std::string disconnecting(std::string_view reason) {
  return error("disconnected: " + std::string(reason));
}

std::string password_first(std::uint16_t tls_port) {
  return error("a password is needed first: send /pass PASSWORD over TLS, port " +
               std::to_string(tls_port));
}

std::string password_over_tls_only(std::uint16_t tls_port) {
  return error("a password is only accepted over TLS (not checked): reconnect to port " +
               std::to_string(tls_port));
}

std::string password_over_https_only(std::uint16_t web_port) {
  return error(
      "a password is only accepted over TLS (not checked): open the page as https://HOST:" +
      std::to_string(web_port) + "/");
}

std::string wrong_password() {
  return error("wrong password");
}

std::string password_refusal(std::string_view address, std::chrono::seconds left) {
  return error("too many wrong passwords from " + std::string(address) + ", try again in " +
               short_duration(left));
}

std::string password_accepted() {
  return notice("Password accepted");
}

std::string no_password_needed() {
  return error("no password is needed now");
}

std::string until_text(Until until) {
  if (!until) return "";
  const std::time_t when = std::chrono::system_clock::to_time_t(*until);
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  std::tm today{};
  localtime_r(&when, &local);
  localtime_r(&now, &today);
  const bool same_day = local.tm_year == today.tm_year && local.tm_yday == today.tm_yday;
  std::array<char, 32> text{};
  std::strftime(text.data(), text.size(), same_day ? "%H:%M" : "%Y-%m-%d %H:%M", &local);
  return std::string(" until ") + text.data();
}

namespace {

std::string reason_text(std::string_view reason) {
  return reason.empty() ? "" : " (" + std::string(reason) + ")";
}

}  // namespace

std::string operators_only(std::string_view command) {
  return error(std::string(1, kCommandPrefix) + std::string(command) + " is for operators");
}

std::string operator_action(std::string_view by, std::string_view action, std::string_view target,
                            Until until, std::string_view reason) {
  return notice(std::string(by) + " " + std::string(action) + " " + std::string(target) +
                until_text(until) + reason_text(reason));
}

std::string removed_by(std::string_view action, std::string_view by, std::string_view reason) {
  return std::string(action) + " by " + std::string(by) + reason_text(reason);
}

std::string you_are_banned(Until until, std::string_view reason) {
  return error("you are banned from this server" + until_text(until) + reason_text(reason));
}

std::string you_are_muted(Until until) {
  return error("you are muted" + until_text(until) + ": your lines are not sent");
}

std::string ban_list_header(std::size_t count) {
  return notice(count == 0 ? std::string("No bans") : "Bans (" + std::to_string(count) + "):");
}

std::string ban_entry(std::string_view target, Until until, std::string_view by,
                      std::string_view reason) {
  return notice(std::string(target) + (until ? until_text(until) : " for ever") + ", by " +
                std::string(by) + reason_text(reason));
}

std::string not_banned(std::string_view target) {
  return error(std::string(target) + " is not banned");
}

std::string not_muted(std::string_view name) {
  return error(std::string(name) + " is not muted");
}

std::string not_owned(std::string_view name) {
  return error("no key owns the name " + std::string(name));
}

std::string unknown_target(std::string_view target) {
  return error("nobody called " + std::string(target) +
               " is online, and it is no address or key fingerprint");
}

std::string topic(std::string_view text) {
  return notice(text.empty() ? std::string("No topic is set")
                             : std::string(kTopic) + std::string(text));
}

std::string topic_set(std::string_view by, std::string_view text) {
  return notice(std::string(by) + " set the topic: " + std::string(text));
}

std::string motd(std::string_view text) {
  return notice(std::string(kMotd) + std::string(text));
}

std::string no_motd() {
  return notice("No message of the day");
}

ClientLine parse_client_line(std::string_view text) {
  ClientLine parsed;
  if (text.find_first_not_of(" \t") == std::string_view::npos) return parsed;
  if (text.front() != kCommandPrefix) {
    parsed.kind = ClientLine::Kind::chat;
    parsed.text = text;
    return parsed;
  }
  if (text.size() > 1 && text[1] == kCommandPrefix) {
    parsed.kind = ClientLine::Kind::chat;
    parsed.text = text.substr(1);
    return parsed;
  }
  text.remove_prefix(1);
  const auto name_end = text.find_first_of(" \t");
  parsed.kind = ClientLine::Kind::command;
  parsed.command = text.substr(0, name_end);
  parsed.argument = name_end == std::string_view::npos ? std::string_view{}
                                                       : trim_leading_blanks(text.substr(name_end));
  return parsed;
}

std::string nick_request(std::string_view name) {
  return std::string(1, kCommandPrefix) + "nick " + std::string(name);
}

std::string pass_request(std::string_view password) {
  return std::string(1, kCommandPrefix) + "pass " + std::string(password);
}

}  // namespace lochat::protocol
