#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lochat/server/moderation.hpp"
#include "lochat/server/participant.hpp"
#include "lochat/wire/protocol.hpp"

// What the server does for each command a client types, in the way ngircd
// maps each command to its handler: one table row per command of the wire
// table (wire/commands.hpp), one handler each. To add a command, see
// docs/ARCHITECTURE.md. Handlers run on the typing client's session thread
// and touch the session only through CommandContext.
namespace lochat::commands {

// What a command may do to the session that typed it. Session implements it;
// the unit tests of the commands use their own, without a socket.
class CommandContext {
 public:
  enum class Rename { done, unchanged, taken, owned };
  enum class Release { released, not_yours };

  virtual ~CommandContext() = default;
  [[nodiscard]] virtual const std::string& name() const = 0;
  // A line to this client alone.
  virtual void reply(std::string line) = 0;
  // A public line: to everyone else, and into the history.
  virtual void publish(std::string line) = 0;
  // The client has spoken: others hear that it joined, if they have not yet.
  virtual void announce() = 0;
  // Takes a name that name_problem() accepts, unless another member has it
  // or another key owns it (NameOwners); others hear of the change.
  virtual Rename rename(const std::string& name) = 0;
  // Gives up the ownership of this client's name by its key.
  virtual Release release_name() = 0;
  // A line for the member called `recipient` alone; false if nobody is called that.
  virtual bool send_private(std::string_view recipient, std::string line) = 0;
  [[nodiscard]] virtual protocol::OnlineList online() const = 0;
  // Leaves after this line, telling the others `reason`.
  virtual void quit(std::string_view reason) = 0;

  // Moderation (operator_commands.cpp, docs/SECURITY.md).
  // Whether this client's key is an operator's.
  [[nodiscard]] virtual bool is_operator() const = 0;
  // The server's operators, bans, mutes, topic and message of the day (thread-safe).
  [[nodiscard]] virtual Moderation& moderation() const = 0;
  // The member called `name` (compared folded), or nullptr.
  [[nodiscard]] virtual std::shared_ptr<Participant> member(std::string_view name) const = 0;
  // Everyone online, this client included.
  [[nodiscard]] virtual std::vector<std::shared_ptr<Participant>> members() const = 0;
  // A notice to everyone online, this client included, not kept in the history.
  virtual void tell_everyone(std::string notice) = 0;
  // Frees `name` from the key that owns it; false if no key does.
  virtual bool free_name(std::string_view name) = 0;
  // The mute in force on this client, if an operator muted it.
  [[nodiscard]] virtual std::optional<moderation::Ban> muted() const = 0;
};

// Runs "/command argument" (`command` without "/"): its handler, or one
// error line for an unknown command. Every command but /nick first announces
// the client (a client that names itself joins under its name). An
// operators' command from anyone else gets "Error: /kick is for operators".
void dispatch(CommandContext& context, std::string_view command, std::string_view argument);

}  // namespace lochat::commands
