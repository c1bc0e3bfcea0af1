#include "lochat/server/password.hpp"

#include <sodium.h>

#include <fstream>
#include <mutex>
#include <stdexcept>

#include "lochat/wire/text.hpp"

namespace lochat::password {

namespace {

// libsodium's "interactive" cost: some 0.1 s and 64 MiB a check on a small
// machine, cheap enough for each login, dear for a guesser (who also meets
// the server's delays and refusals).
constexpr auto kOpsLimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
constexpr auto kMemLimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;
// How every hash line starts: a file holding anything else (a password
// written there by mistake) is refused, not compared with.
constexpr std::string_view kHashPrefix = "$argon2id$";

void start_sodium() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium cannot start");
}

std::mutex& one_check_at_a_time() {
  static std::mutex mutex;
  return mutex;
}

}  // namespace

std::string hash(std::string_view password) {
  start_sodium();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), kOpsLimit, kMemLimit) != 0) {
    throw std::runtime_error("out of memory while hashing the password");
  }
  return out;
}

bool verify(const std::string& hashed, std::string_view password) {
  start_sodium();
  std::lock_guard lock(one_check_at_a_time());
  return crypto_pwhash_str_verify(hashed.c_str(), password.data(), password.size()) == 0;
}

// The server reads /pass PASSWORD as it reads every line: cleaned, with the
// blanks after the command dropped. A password that would not survive that
// could never be proven.
std::optional<std::string> problem(std::string_view password) {
  if (password.empty()) return "it is empty";
  if (password.front() == ' ' || password.front() == '\t') return "it starts with a blank";
  if (text::sanitize(password) != password) {
    return "it holds control characters or is not valid UTF-8";
  }
  return std::nullopt;
}

std::string read_hash_file(const std::string& path) {
  std::ifstream file(path);
  std::string line;
  if (!file || !std::getline(file, line)) {
    throw std::runtime_error("cannot read the password file " + path);
  }
  if (!line.starts_with(kHashPrefix)) {
    throw std::runtime_error(path + " holds no argon2id hash: make one with " +
                             "lochat-server --hash-password");
  }
  return line;
}

}  // namespace lochat::password
