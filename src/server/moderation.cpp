#include "lochat/server/moderation.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "lochat/net/socket.hpp"
#include "lochat/net/state_files.hpp"
#include "lochat/wire/text.hpp"

namespace lochat {

namespace {

// The bans name who is banned and why: only the server's user may read them.
constexpr mode_t kBansFileMode = 0600;
// A message of the day is a greeting, not a document: longer ones are cut,
// so a mistaken --motd-file cannot flood every newcomer.
constexpr std::size_t kMotdLines = 20;
constexpr std::size_t kMotdLineBytes = 400;

void log_problems(const std::string& file, const std::vector<std::string>& problems) {
  for (const auto& problem : problems)
    spdlog::warn("{}, {} (skipped)", text::sanitize(file), problem);
}

}  // namespace

Moderation::Moderation(ModerationConfig config)
    : config_(std::move(config)), operators_(std::make_shared<const moderation::Operators>()) {
  load_operators();
  load_motd();
  load_bans();
}

void Moderation::reload() {
  load_operators();
  load_motd();
}

void Moderation::load_operators() {
  if (config_.ops_file.empty()) return;
  std::vector<std::string> problems;
  auto operators = std::make_shared<const moderation::Operators>(
      moderation::parse_operators(files::read_all(config_.ops_file), problems));
  log_problems(config_.ops_file, problems);
  spdlog::info("Operators: {} key(s) and {} name(s) from {}", operators->keys.size(),
               operators->names.size(), text::sanitize(config_.ops_file));
  std::lock_guard lock(mutex_);
  operators_ = std::move(operators);
}

void Moderation::load_motd() {
  if (config_.motd_file.empty()) return;
  std::vector<std::string> lines;
  const std::string text = files::read_all(config_.motd_file);
  for (std::size_t start = 0; start < text.size() && lines.size() < kMotdLines;) {
    const auto end = std::min(text.find('\n', start), text.size());
    lines.push_back(text::sanitize(text.substr(start, std::min(end - start, kMotdLineBytes))));
    start = end + 1;
  }
  std::lock_guard lock(mutex_);
  motd_ = std::move(lines);
}

void Moderation::load_bans() {
  if (config_.bans_file.empty()) return;
  std::vector<std::string> problems;
  auto bans =
      moderation::BanList::from_text(files::read_all(config_.bans_file), Clock::now(), problems);
  log_problems(config_.bans_file, problems);
  if (!bans.entries().empty()) {
    spdlog::info("Bans: {} in force, from {}", bans.entries().size(),
                 text::sanitize(config_.bans_file));
  }
  std::lock_guard lock(mutex_);
  bans_ = std::move(bans);
}

// A ban that cannot be written still holds until the server stops; the log says so.
void Moderation::save_bans_locked() {
  if (config_.bans_file.empty()) return;
  try {
    files::make_parent_directories(config_.bans_file);
    files::write_atomically(config_.bans_file, kBansFileMode, bans_.to_text());
  } catch (const NetError& error) {
    spdlog::error("Cannot keep the bans: {}", error.what());
  }
}

bool Moderation::is_operator(std::string_view key) const {
  if (key.empty()) return false;
  std::shared_ptr<const moderation::Operators> operators;
  {
    std::lock_guard lock(mutex_);
    operators = operators_;
  }
  if (operators->keys.contains(std::string(key))) return true;
  return owners_ != nullptr &&
         std::any_of(operators->names.begin(), operators->names.end(),
                     [&](const std::string& name) { return owners_->owner_of(name) == key; });
}

std::optional<Moderation::Ban> Moderation::banned(std::string_view address,
                                                  std::string_view key) const {
  std::lock_guard lock(mutex_);
  return bans_.find(address, key, Clock::now());
}

void Moderation::ban(Ban ban) {
  std::lock_guard lock(mutex_);
  bans_.drop_expired(Clock::now());
  bans_.add(std::move(ban));
  save_bans_locked();
}

bool Moderation::unban(std::string_view target) {
  std::lock_guard lock(mutex_);
  if (!bans_.remove(target)) return false;
  save_bans_locked();
  return true;
}

std::vector<Moderation::Ban> Moderation::bans() {
  std::lock_guard lock(mutex_);
  if (bans_.drop_expired(Clock::now())) save_bans_locked();
  return bans_.entries();
}

void Moderation::mute(Ban mute) {
  std::lock_guard lock(mutex_);
  mutes_.drop_expired(Clock::now());
  mutes_.add(std::move(mute));
}

bool Moderation::unmute(std::string_view target) {
  std::lock_guard lock(mutex_);
  return mutes_.remove(target);
}

std::optional<Moderation::Ban> Moderation::muted(std::string_view address,
                                                 std::string_view key) const {
  std::lock_guard lock(mutex_);
  return mutes_.find(address, key, Clock::now());
}

std::string Moderation::topic() const {
  std::lock_guard lock(mutex_);
  return topic_;
}

void Moderation::set_topic(std::string topic) {
  std::lock_guard lock(mutex_);
  topic_ = std::move(topic);
}

std::vector<std::string> Moderation::motd() const {
  std::lock_guard lock(mutex_);
  return motd_;
}

void Moderation::log_refusal(std::string_view address, const Ban& ban) {
  std::lock_guard lock(mutex_);
  if (const auto count = refusals_.note()) {
    spdlog::warn("Refused {} banned newcomer(s) (the last: {}, banned by {})", count, address,
                 ban.by);
  }
}

}  // namespace lochat
