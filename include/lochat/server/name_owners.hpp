#pragma once

#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

// Names owned by keys (docs/SECURITY.md): which client key (the SHA-256
// fingerprint of the certificate it presents over TLS) owns which name, kept
// in a plain text file in the server's state directory and loaded at start.
//
// Threads: every session thread (and an operator's command) may call it at
// once. mutex_ guards owners_; file_mutex_ serialises writes of the file and
// is always taken first, never while mutex_ is held, so no write happens
// under mutex_. The room calls reserve() under its own lock (room.hpp): the
// order is Room's lock, then mutex_; nothing here calls back into the room.
namespace lochat {

class NameOwners {
 public:
  // Loads `path` ("" keeps the store in memory only; a missing file is an
  // empty store). Lines it cannot read are skipped and logged.
  explicit NameOwners(std::string path);

  // The fingerprint of the key that owns `name` (compared folded, as the
  // room compares names: case, confusables), or nullopt.
  [[nodiscard]] std::optional<std::string> owner_of(std::string_view name) const;
  enum class Claim { claimed, already_yours, belongs_to_another };
  // Records that `key` owns `name` unless another key does, and saves.
  // An empty key owns nothing: it gets claimed only for an unowned name
  // (nothing is recorded) and belongs_to_another for an owned one.
  Claim claim(std::string_view name, std::string_view key);
  // By an operator: frees `name`, whoever owns it, and saves; false if no key owned it.
  bool release(std::string_view name);
  // By its owner: frees `name` if `key` owns it, and saves; false otherwise.
  bool release_own(std::string_view name, std::string_view key);
  [[nodiscard]] std::size_t size() const;
  [[nodiscard]] const std::string& path() const { return path_; }

  // For the room, under its lock: claim() without the save; sets `changed`
  // when the store changed and save() is due (after the room's lock is let go).
  Claim reserve(std::string_view name, std::string_view key, bool& changed);
  // Writes the file whole (files::write_atomically); logs a failure.
  void save();
  // For the room's lists: true if `key` (not "") owns the name already folded
  // (text::fold_name) as `folded_name`; no folding here, so a list of a
  // hundred names costs a hundred lookups.
  [[nodiscard]] bool owns_folded(std::string_view folded_name, std::string_view key) const;
  // owner_of() for a name already folded: the room calls it under its lock,
  // where folding again (ICU, a few rounds) has no place.
  [[nodiscard]] std::optional<std::string> owner_of_folded(std::string_view folded_name) const;

 private:
  struct Owner {
    std::string key;
    std::string name;  // as taken: the file keeps it, folded again at load
  };
  void load();

  const std::string path_;
  std::mutex file_mutex_;                             // serialises save(); taken before mutex_
  mutable std::mutex mutex_;                          // guards owners_
  std::map<std::string, Owner, std::less<>> owners_;  // by folded name
};

}  // namespace lochat
