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
      for (const auto name : protocol::names_in_online_list(line.detail)) names_.emplace(name);
      return;
    case ServerLine::Topic::joined:
      names_.emplace(line.subject);
      return;
    case ServerLine::Topic::left:
    case ServerLine::Topic::disconnected:
      names_.erase(std::string(line.subject));
      return;
    case ServerLine::Topic::renamed:
      names_.erase(std::string(line.subject));
      names_.emplace(line.detail);
      return;
    default:
      return;
  }
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
