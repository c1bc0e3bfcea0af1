#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// The wire protocol, as docs/PROTOCOL.md describes it: UTF-8 lines ending in
// "\n". Every line the server sends is built here, by one function per kind
// of line; the client reads them back with classify() (server_line.hpp),
// which matches the same words. Pure functions: any thread may call them.
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
// The words of the notices and errors the client recognises (see classify()).
inline constexpr std::string_view kJoined = " joined (";
inline constexpr std::string_view kLeft = " left (";
inline constexpr std::string_view kWasDisconnected = " was disconnected: ";
inline constexpr std::string_view kRenamed = " is now known as ";
inline constexpr std::string_view kYouAreNow = "You are now known as ";
inline constexpr std::string_view kOnline = "Online (";
inline constexpr std::string_view kNameTaken = "the name ";
inline constexpr std::string_view kNameTakenEnd = " is already taken";
inline constexpr std::string_view kInvalidName = "invalid name '";
inline constexpr std::string_view kLineTooLong = "line too long (more than ";
inline constexpr std::string_view kUsage = "usage: ";
inline constexpr std::string_view kNobodyCalled = "nobody called ";
// Names owned by keys (docs/SECURITY.md). A verified name's key owns it; the
// marks sit where older clients skip them: inside an online entry's
// parentheses (no ", " in it: clients split the list there), and in notices
// of their own after a join or a rename.
inline constexpr std::string_view kNameOwnedEnd = " belongs to another key";
inline constexpr std::string_view kVerifiedMark = "; verified";  // "bob (12s; verified)"
inline constexpr std::string_view kVerified = " is verified (";
inline constexpr std::string_view kNoLongerVerified = " is no longer verified (";
// The server's self-description (self_description()): a notice a person can
// read, whose fields the client parses (server_line.hpp). The protocol version
// counts up only when a client must tell versions apart.
inline constexpr std::string_view kSelfDescription = "lochat-server protocol ";
inline constexpr int kProtocolVersion = 1;
inline constexpr std::string_view kFieldSeparator = "; ";
inline constexpr std::string_view kAcknowledges = "acknowledges each line";
inline constexpr std::string_view kCommandsField = "commands ";
inline constexpr std::string_view kFloodField = "flood limit ";
inline constexpr std::string_view kBurstEnd = " lines at once, then ";
inline constexpr std::string_view kRateEnd = " a second";
inline constexpr std::string_view kNoFloodLimit = "none";
inline constexpr std::string_view kMaxLineField = "lines up to ";
inline constexpr std::string_view kMaxLineEnd = " bytes";
// On a server with a password: "password needed (send /pass PASSWORD over TLS, port 4445)".
inline constexpr std::string_view kPasswordField = "password needed";
inline constexpr std::string_view kPasswordFieldPort = " (send /pass PASSWORD over TLS, port ";
// On a server that keeps names owned by keys (its TLS port is on).
inline constexpr std::string_view kOwnedNamesField = "names owned by keys";

// --- Server-to-client lines, each with its trailing "\n" ---------------------------------

std::string welcome();
// What a server says of itself, right after the welcome: the limits a client
// must keep to (the lochat client paces its sends by them).
struct ServerDescription {
  int version = kProtocolVersion;
  bool acknowledges = true;  // "Message Received" for every chat line
  double rate = 0;           // lines a second after the burst; 0: no flood limit
  std::size_t burst = 0;
  std::size_t max_line = 0;  // bytes
  // The TLS port to send "/pass PASSWORD" on before anything else; 0: no password needed.
  std::uint16_t password_port = 0;
  // Names owned by keys: a client marks the senders whose key does not own their name.
  bool owned_names = false;
};
// "*** lochat-server protocol 1; acknowledges each line; commands /nick /who ...;
// flood limit 30 lines at once, then 10 a second; lines up to 4096 bytes"
std::string self_description(const ServerDescription& description);
std::string ack();
std::string relay(std::string_view sender, std::string_view text);
std::string private_message(std::string_view sender, std::string_view text);
std::string action(std::string_view sender, std::string_view text);
// "HH:MM" in local time: the stamp of history lines, and of lines on the client's screen.
std::string clock_time_now();
// A public line replayed to a newcomer: "History HH:MM " + the line as first sent.
std::string history(std::string_view clock_time, std::string_view original_line);

// Notices ("*** ...").
std::string joined(std::string_view name, std::size_t online);
std::string left(std::string_view name, std::size_t online, std::string_view reason);
std::string disconnected(std::string_view name, std::string_view reason, std::size_t online);
std::string renamed(std::string_view old_name, std::string_view new_name);
std::string you_are_now(std::string_view name);
std::string goodbye(std::string_view reason);
std::string shutting_down();
std::string help(std::string_view help_line);
// "*** bob is verified (the name belongs to their key)": after bob's join or rename.
std::string verified(std::string_view name);
// "*** bob is no longer verified (gave up the name)": after bob's /release.
std::string no_longer_verified(std::string_view name);
// To the client that typed /release.
std::string released(std::string_view name);
// A client whose waiting lines near the flood limit is told before it is disconnected.
std::string slow_down(std::size_t waiting, const ServerDescription& limits,
                      std::size_t flood_lines);
struct OnlineEntry {
  std::string name;
  std::chrono::seconds connected;
  bool verified = false;  // the member's key owns its name
};
// "*** Online (2): alice (5m), bob (12s; verified)"; past kMaxListed names, "… and N more",
// so the line stays short however many are online.
inline constexpr std::size_t kMaxListed = 100;
// Who is online: the first (at most kMaxListed) by name, and how many in all.
struct OnlineList {
  std::vector<OnlineEntry> listed;
  std::size_t total = 0;
};
std::string online_list(const OnlineList& online);
std::string online_list(const std::vector<OnlineEntry>& entries);
// "12s", "5m", "2h 3m": how long someone has been connected.
std::string short_duration(std::chrono::seconds duration);

// Errors ("Error: ..."): each answers one line of the client's, or ends its connection.
std::string error(std::string_view text);
std::string line_too_long(std::size_t max_line);
std::string unknown_command(std::string_view command);
std::string usage(std::string_view usage_text);
std::string invalid_name(std::string_view name, std::string_view problem);
std::string name_taken(std::string_view name);
std::string nobody_called(std::string_view name);
// "Error: the name bob belongs to another key".
std::string name_owned(std::string_view name);
// /release by a client whose key does not own its name (or that has no key).
std::string not_your_name(std::string_view name);
std::string disconnecting(std::string_view reason);
// Before a client's password (docs/SECURITY.md): what it sent instead, its
// password sent in clear, a wrong one, and its address refused for a while.
std::string password_first(std::uint16_t tls_port);
std::string password_over_tls_only(std::uint16_t tls_port);
// The same for a browser that opened the page over http: `web_port` is where
// the page is served over https too.
std::string password_over_https_only(std::uint16_t web_port);
std::string wrong_password();
std::string password_refusal(std::string_view address, std::chrono::seconds left);
std::string password_accepted();
std::string no_password_needed();

// Moderation (docs/SECURITY.md). `until`: when a ban or mute ends, nullopt
// for ever; shown as "HH:MM" in local time, with the date if not today.
// Reasons and names come cleaned (text::sanitize) from the client's line.
using Until = std::optional<std::chrono::system_clock::time_point>;
inline constexpr std::string_view kTopic = "Topic: ";
inline constexpr std::string_view kMotd = "MOTD: ";
// " until 14:05", " until 2026-12-01 14:05", or "" for ever.
std::string until_text(Until until);
// "Error: /kick is for operators"
std::string operators_only(std::string_view command);
// An operator's action, to everyone: "*** alice kicked bob (spamming)".
std::string operator_action(std::string_view by, std::string_view action, std::string_view target,
                            Until until, std::string_view reason);
// Why a kicked or banned client is disconnected: "kicked by alice (spamming)".
std::string removed_by(std::string_view action, std::string_view by, std::string_view reason);
// To a banned newcomer, before it closes: "Error: you are banned from this server until 14:05
// (spam)".
std::string you_are_banned(Until until, std::string_view reason);
// To a muted client, for each line it tries to send.
std::string you_are_muted(Until until);
std::string ban_list_header(std::size_t count);
// "*** 127.0.0.2 until 14:05, by alice (spam)": one line of /bans.
std::string ban_entry(std::string_view target, Until until, std::string_view by,
                      std::string_view reason);
std::string not_banned(std::string_view target);
std::string not_muted(std::string_view name);
// /free of a name no key owns.
std::string not_owned(std::string_view name);
// A /ban target that is neither online, an address nor a key fingerprint.
std::string unknown_target(std::string_view target);
// "*** Topic: TEXT", or that there is none.
std::string topic(std::string_view text);
// "*** alice set the topic: TEXT"
std::string topic_set(std::string_view by, std::string_view text);
// One line of the message of the day: "*** MOTD: TEXT", or that there is none.
std::string motd(std::string_view text);
std::string no_motd();

// --- Client-to-server lines -----------------------------------------------------------------

// What a client typed, once the server has read it.
struct ClientLine {
  enum class Kind { empty, chat, command };
  Kind kind = Kind::empty;
  std::string_view text;      // chat: the message ("//x" unescaped to "/x")
  std::string_view command;   // command: its name without "/", e.g. "quit"
  std::string_view argument;  // command: the rest, leading blanks trimmed
};
ClientLine parse_client_line(std::string_view line);
// "/nick NAME": how the client asks for a name.
std::string nick_request(std::string_view name);
// "/pass PASSWORD": how the client proves it knows the server's password.
std::string pass_request(std::string_view password);

}  // namespace lochat::protocol
