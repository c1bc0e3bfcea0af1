#include "lochat/client/roster.hpp"

#include "lochat/wire/commands.hpp"
#include "lochat/wire/server_line.hpp"
#include "lochat/wire/text.hpp"

namespace lochat::view {

using protocol::ServerLine;

void Roster::observe(std::string_view server_line) {
  const ServerLine line = protocol::classify(server_line);
  if (line.replayed) return;
  switch (line.kind) {
    case ServerLine::Kind::relay:
    case ServerLine::Kind::action:
    case ServerLine::Kind::private_message:
      names_.emplace(line.sender);
      return;
    case ServerLine::Kind::notice:
      break;
    default:
      return;
  }
  switch (line.topic) {
    case ServerLine::Topic::online:
      if (line.detail.empty()) return;
      names_.clear();
      verified_.clear();
      for (const auto entry : protocol::entries_in_online_list(line.detail)) {
        names_.emplace(entry.name);
        if (entry.verified) verified_.emplace(entry.name);
      }
      return;
    case ServerLine::Topic::joined:
      verified_.erase(std::string(line.subject));  // until the server says otherwise
      names_.emplace(line.subject);
      return;
    case ServerLine::Topic::left:
    case ServerLine::Topic::disconnected:
      forget(line.subject);
      return;
    case ServerLine::Topic::renamed:
      forget(line.subject);
      verified_.erase(std::string(line.detail));
      names_.emplace(line.detail);
      return;
    case ServerLine::Topic::verified:
      verified_.emplace(line.subject);
      return;
    case ServerLine::Topic::unverified:
      verified_.erase(std::string(line.subject));
      return;
    default:
      return;
  }
}

view::Unverified Roster::unverified_senders(bool owned_names) const {
  if (!owned_names) return {};
  return [this](std::string_view sender) { return !verified(sender); };
}

void Roster::forget(std::string_view name) {
  names_.erase(std::string(name));
  verified_.erase(std::string(name));
}

std::set<std::string> completions(std::string_view prefix, const Roster& roster) {
  std::set<std::string> found;
  if (prefix.starts_with('/')) {
    for (const auto& command : commands::all()) {
      std::string typed = "/" + std::string(command.name);
      if (typed.starts_with(prefix)) found.insert(std::move(typed));
    }
    return found;
  }
  const std::string folded_prefix = text::fold_name(prefix);
  for (const auto& name : roster.names()) {
    if (text::fold_name(name).starts_with(folded_prefix)) found.insert(name);
  }
  return found;
}

}  // namespace lochat::view
