#include "lochat/server/password_gate.hpp"

#include <spdlog/spdlog.h>

#include <utility>

#include "lochat/server/password.hpp"
#include "lochat/wire/protocol.hpp"
#include "lochat/wire/text.hpp"

namespace lochat {

namespace {

// Lines a client sends before its password (a person who did not read the
// greeting, or a flood) are answered with one reminder per this interval,
// not one error per line.
constexpr std::chrono::seconds kReminderInterval{10};
constexpr std::string_view kPassCommand = "pass";

}  // namespace

PasswordGate::PasswordGate(std::string hash, bool encrypted, std::uint16_t tls_port,
                           std::shared_ptr<AddressBudget> address, std::string peer_address,
                           bool browser)
    : hash_(std::move(hash)),
      encrypted_(encrypted),
      tls_port_(tls_port),
      address_(std::move(address)),
      peer_address_(std::move(peer_address)),
      browser_(browser) {}

// Nothing here logs the line: it may hold the password.
PasswordGate::Answer PasswordGate::take(std::string_view raw_line, Clock::time_point now) {
  const std::string line = text::sanitize(raw_line);
  const auto parsed = protocol::parse_client_line(line);
  if (parsed.kind == protocol::ClientLine::Kind::empty) return {};
  if (parsed.kind == protocol::ClientLine::Kind::command && parsed.command == kPassCommand) {
    if (!encrypted_) {
      return {Answer::Kind::quiet, browser_ ? protocol::password_over_https_only(tls_port_)
                                            : protocol::password_over_tls_only(tls_port_)};
    }
    return try_password(parsed.argument, now);
  }
  if (now < next_reminder_) return {};
  next_reminder_ = now + kReminderInterval;
  return {Answer::Kind::quiet, protocol::password_first(tls_port_)};
}

PasswordGate::Answer PasswordGate::try_password(std::string_view password, Clock::time_point now) {
  // Another connection of this address may have used up its tries meanwhile.
  if (address_) {
    if (const auto left = address_->refused_for(now); left.count() > 0) return refusal(left);
  }
  if (password::verify(hash_, password)) {
    admitted_ = true;
    return {Answer::Kind::admitted, protocol::password_accepted()};
  }
  spdlog::debug("Wrong password from {}", peer_address_);
  if (address_ && address_->note_wrong_password(now)) {
    // Once per refusal, not per attempt: the refused connections say nothing more.
    spdlog::warn("Refusing {} for {}: {} wrong passwords", peer_address_,
                 protocol::short_duration(kPasswordRefusal), kWrongPasswordsAllowed);
    return refusal(kPasswordRefusal);
  }
  return {Answer::Kind::wrong, protocol::wrong_password()};
}

PasswordGate::Answer PasswordGate::refusal(std::chrono::seconds left) const {
  return {Answer::Kind::refused, protocol::password_refusal(peer_address_, left)};
}

}  // namespace lochat
