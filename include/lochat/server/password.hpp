#pragma once

#include <optional>
#include <string>
#include <string_view>

// The server password's hash (docs/SECURITY.md): made by
// `lochat-server --hash-password`, kept in --password-file, checked against
// each client's /pass. argon2id through libsodium; the password itself is
// never stored. Any thread may call these; verify() runs one check at a time
// server-wide (a mutex inside), so a crowd sending /pass at once costs one
// hash's memory and one core, not one per client.
namespace lochat::password {

// The line to put in a password file: "$argon2id$v=19$m=...". Throws
// std::runtime_error if libsodium cannot start or is out of memory.
std::string hash(std::string_view password);
// True if `password` is the one `hashed` was made from.
bool verify(const std::string& hashed, std::string_view password);
// Why `password` cannot be one (a client could not send it as typed), or nullopt.
std::optional<std::string> problem(std::string_view password);
// The hash in `path` (its first line), or throws std::runtime_error saying why not.
std::string read_hash_file(const std::string& path);

}  // namespace lochat::password
