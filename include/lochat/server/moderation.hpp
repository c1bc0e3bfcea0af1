#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "lochat/server/ban_list.hpp"
#include "lochat/server/name_owners.hpp"
#include "lochat/server/storm_log.hpp"

// What operators decide and every session obeys (docs/SECURITY.md): who is
// an operator (--ops-file), the bans (kept in the state directory), the
// mutes, the topic and the message of the day (--motd-file).
namespace lochat {

struct ModerationConfig {
  std::string ops_file;   // "": nobody is an operator
  std::string motd_file;  // "": no message of the day
  std::string bans_file;  // "": bans last until the server stops (tests of other things)
};

// Threads: every session thread asks it (is_operator, banned, muted, topic)
// and operators' sessions change it; the accept thread asks banned() and
// calls reload() on SIGHUP. mutex_ guards every member but config_ and
// owners_ (which has its own locks, never taken under mutex_); the
// operators' set is an immutable snapshot replaced whole by reload(), so an
// operator check copies one pointer. The bans file is written under mutex_,
// so two operators' bans never interleave their writes.
class Moderation {
 public:
  using Ban = moderation::Ban;
  using Clock = moderation::Clock;

  // Reads the ops file, the message of the day and the bans; a line it
  // cannot read is logged and skipped, a file it cannot read leaves its list empty.
  explicit Moderation(ModerationConfig config);

  // On SIGHUP: reads the ops file and the message of the day again; logs one line.
  void reload();

  // Once, before any session starts: the names owned by keys, for the ops
  // file's names (null: names make nobody an operator).
  void use_name_owners(const NameOwners* owners) { owners_ = owners; }
  // Whether `key` is listed, or owns a name that is.
  [[nodiscard]] bool is_operator(std::string_view key) const;

  // The ban in force on a client from `address` presenting `key` ("" for none).
  [[nodiscard]] std::optional<Ban> banned(std::string_view address, std::string_view key) const;
  // Adds the ban (replacing one of the same target) and writes the bans file.
  void ban(Ban ban);
  // False if `target` was not banned.
  bool unban(std::string_view target);
  // The bans in force, expired ones dropped (and the file rewritten without them).
  [[nodiscard]] std::vector<Ban> bans();

  // Mutes have the form of bans and live only in memory.
  void mute(Ban mute);
  bool unmute(std::string_view target);
  [[nodiscard]] std::optional<Ban> muted(std::string_view address, std::string_view key) const;

  [[nodiscard]] std::string topic() const;
  void set_topic(std::string topic);
  // The message of the day's lines, cleaned; empty if there is none.
  [[nodiscard]] std::vector<std::string> motd() const;

  // A banned newcomer refused: logged with the others of its storm.
  void log_refusal(std::string_view address, const Ban& ban);

 private:
  void load_operators();
  void load_motd();
  void load_bans();
  void save_bans_locked();

  const ModerationConfig config_;
  mutable std::mutex mutex_;
  const NameOwners* owners_ = nullptr;  // set before the threads start; thread-safe itself
  std::shared_ptr<const moderation::Operators> operators_;
  moderation::BanList bans_;
  moderation::BanList mutes_;
  std::string topic_;
  std::vector<std::string> motd_;
  StormLog refusals_;
};

}  // namespace lochat
