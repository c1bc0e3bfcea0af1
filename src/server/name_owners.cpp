#include "lochat/server/name_owners.hpp"

#include <spdlog/spdlog.h>

#include <utility>

#include "lochat/net/socket.hpp"
#include "lochat/net/state_files.hpp"
#include "lochat/wire/text.hpp"

namespace lochat {

namespace {

// The file is read by people too (an operator freeing a name by hand): it says what it is.
constexpr std::string_view kHeader =
    "# LoChat: names owned by keys. One per line: the SHA-256 fingerprint of the\n"
    "# owner's key, a blank, the name. Written by lochat-server; edit it only while\n"
    "# the server is stopped.\n";
// Holds names and key fingerprints, which say who chats here: its owner's alone.
constexpr mode_t kFileMode = 0600;

}  // namespace

NameOwners::NameOwners(std::string path) : path_(std::move(path)) {
  load();
}

void NameOwners::load() {
  if (path_.empty()) return;
  const std::string text = files::read_all(path_);
  std::string_view rest = text;
  std::size_t number = 0;
  while (!rest.empty()) {
    const auto end = rest.find('\n');
    const std::string_view line = rest.substr(0, end);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
    ++number;
    if (line.empty() || line.starts_with('#')) continue;
    const auto blank = line.find(' ');
    const std::string name(line.substr(blank == std::string_view::npos ? line.size() : blank + 1));
    if (blank == 0 || blank == std::string_view::npos || text::name_problem(name)) {
      spdlog::warn("Skipping line {} of {}: not a fingerprint and a name", number, path_);
      continue;
    }
    const auto [kept, added] =
        owners_.try_emplace(text::fold_name(name), Owner{std::string(line.substr(0, blank)), name});
    // Two lines can name one name once folding has learnt more look-alikes
    // (fullwidth "ｂｏｂ" and "bob"): the first keeps it, and no later line
    // can take it over; an operator may /free it.
    if (!added && kept->second.key != line.substr(0, blank)) {
      spdlog::warn(
          "Line {} of {}: {} is now the same name as {}, which another key owns; "
          "that key keeps it",
          number, path_, name, kept->second.name);
    }
  }
}

std::optional<std::string> NameOwners::owner_of(std::string_view name) const {
  return owner_of_folded(text::fold_name(name));
}

std::optional<std::string> NameOwners::owner_of_folded(std::string_view folded_name) const {
  std::lock_guard lock(mutex_);
  const auto found = owners_.find(folded_name);
  if (found == owners_.end()) return std::nullopt;
  return found->second.key;
}

bool NameOwners::owns_folded(std::string_view folded_name, std::string_view key) const {
  if (key.empty()) return false;
  std::lock_guard lock(mutex_);
  const auto found = owners_.find(folded_name);
  return found != owners_.end() && found->second.key == key;
}

NameOwners::Claim NameOwners::reserve(std::string_view name, std::string_view key, bool& changed) {
  changed = false;
  std::string folded = text::fold_name(name);
  std::lock_guard lock(mutex_);
  const auto found = owners_.find(folded);
  if (found != owners_.end()) {
    return !key.empty() && found->second.key == key ? Claim::already_yours
                                                    : Claim::belongs_to_another;
  }
  if (key.empty()) return Claim::claimed;
  owners_.emplace(std::move(folded), Owner{std::string(key), std::string(name)});
  changed = true;
  return Claim::claimed;
}

NameOwners::Claim NameOwners::claim(std::string_view name, std::string_view key) {
  bool changed = false;
  const Claim claim = reserve(name, key, changed);
  if (changed) save();
  return claim;
}

bool NameOwners::release(std::string_view name) {
  const std::string folded = text::fold_name(name);
  {
    std::lock_guard lock(mutex_);
    if (owners_.erase(folded) == 0) return false;
  }
  save();
  return true;
}

bool NameOwners::release_own(std::string_view name, std::string_view key) {
  const std::string folded = text::fold_name(name);
  {
    std::lock_guard lock(mutex_);
    const auto found = owners_.find(folded);
    if (key.empty() || found == owners_.end() || found->second.key != key) return false;
    owners_.erase(found);
  }
  save();
  return true;
}

std::size_t NameOwners::size() const {
  std::lock_guard lock(mutex_);
  return owners_.size();
}

// The text is taken under file_mutex_, so of two saves the later one writes
// the newer state, and none is lost.
void NameOwners::save() {
  if (path_.empty()) return;
  std::lock_guard file_lock(file_mutex_);
  std::string text(kHeader);
  {
    std::lock_guard lock(mutex_);
    for (const auto& [folded, owner] : owners_)
      text.append(owner.key).append(" ").append(owner.name).append("\n");
  }
  try {
    files::make_parent_directories(path_);
    files::write_atomically(path_, kFileMode, text);
  } catch (const NetError& error) {
    spdlog::error("Cannot save the names owned by keys: {}", error.what());
  }
}

}  // namespace lochat
