#include "secure_connect.hpp"

#include <array>
#include <cerrno>
#include <cstdio>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>

#include "lochat/client/client_key.hpp"
#include "lochat/client/known_servers.hpp"
#include "lochat/net/tls.hpp"
#include "lochat/wire/strangers.hpp"

namespace lochat::front_end {

namespace {

// Enough for a handshake across any LAN, short enough not to leave a user waiting.
constexpr std::chrono::seconds kHandshakeTime{10};

struct Target {
  const std::string& host;
  std::uint16_t port;
  [[nodiscard]] std::string text() const { return Endpoint{host, port}.to_string(); }
};

std::unique_ptr<ChatClient> in_clear(const ClientConfig& config, ChatClient::Callbacks callbacks) {
  auto client = std::make_unique<ChatClient>(config.host, config.port, std::move(callbacks));
  std::fprintf(stderr, "lochat: warning: %s speaks in clear: this chat is not encrypted\n",
               Target{config.host, config.port}.text().c_str());
  return client;
}

// The TLS port's socket, or nullopt when nothing listens there.
std::optional<FileDescriptor> connect_if_listening(const Target& target) {
  try {
    return connect_tcp(target.host, target.port);
  } catch (const NetError& error) {
    if (error.code() == ECONNREFUSED) return std::nullopt;
    throw;
  }
}

void say_pinned_but_not_answering(const Target& target, const KnownServers& known,
                                  const KnownServers::Pin& pin) {
  std::fprintf(stderr,
               "lochat: %s was seen with TLS (line %zu of %s), but nothing answers TLS there now.\n"
               "lochat: Not chatting in clear: this can be an attack. Give --plain to chat "
               "unencrypted anyway.\n",
               target.text().c_str(), pin.line, known.path().c_str());
}

void say_key_changed(const Target& target, const KnownServers& known, const KnownServers::Pin& pin,
                     const std::string& presented) {
  std::fprintf(stderr,
               "lochat: WARNING: the TLS certificate of %s is not the one pinned for it!\n"
               "lochat:   pinned:    %s\n"
               "lochat:   presented: %s\n"
               "lochat: Someone may be intercepting this connection (an attack), or the server "
               "has a new key.\n"
               "lochat: Not connecting. If the change is expected, delete line %zu of %s and "
               "connect again.\n",
               target.text().c_str(), pin.fingerprint.c_str(), presented.c_str(), pin.line,
               known.path().c_str());
}

// True when the certificate may be used: pinned already, or pinned now.
bool check_pin(const Target& target, const KnownServers& known, const std::string& presented) {
  if (const auto pin = known.find(target.host, target.port)) {
    if (pin->fingerprint == presented) return true;
    say_key_changed(target, known, *pin, presented);
    return false;
  }
  try {
    known.add(target.host, target.port, presented);
  } catch (const std::runtime_error& error) {
    std::fprintf(stderr, "lochat: cannot pin the certificate: %s\n", error.what());
    return false;
  }
  std::fprintf(stderr,
               "lochat: first TLS connection to %s; its certificate's SHA-256 fingerprint is\n"
               "lochat:   %s\n"
               "lochat: pinned in %s (compare it with the server's log or lochat --discover)\n",
               target.text().c_str(), presented.c_str(), known.path().c_str());
  return true;
}

// The user's key, made on first use, in every handshake. Without one (a home
// it cannot write) the chat goes on over TLS, but no name can be the user's.
tls::Context client_context() {
  try {
    const auto files = ensure_client_key();
    auto context = tls::Context::client(files.certificate, files.key);
    if (files.made) {
      std::fprintf(stderr,
                   "lochat: made your key in %s; its fingerprint (lochat --whoami) is\n"
                   "lochat:   %s\n",
                   files.key.c_str(), context.fingerprint().c_str());
    }
    return context;
  } catch (const NetError& error) {
    std::fprintf(stderr, "lochat: warning: %s; connecting without a key (no name can be yours)\n",
                 error.what());
    return tls::Context::client();
  }
}

// What the server sent in clear: the first line, up to kMaxClearAnswer bytes,
// or as much as came before `deadline`; and whether the stream ended.
std::pair<std::string, bool> read_in_clear(const FileDescriptor& socket,
                                           std::chrono::steady_clock::time_point deadline) {
  std::string bytes;
  std::array<char, strangers::kMaxClearAnswer> buffer{};
  while (bytes.size() < buffer.size() && bytes.find('\n') == std::string::npos) {
    const auto got = receive_some(socket, std::span(buffer).first(buffer.size() - bytes.size()));
    if (got.status == ReadResult::Status::closed) return {bytes, true};
    if (got.status == ReadResult::Status::data) {
      bytes.append(buffer.data(), got.bytes);
      continue;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !tls::wait_for(socket.get(), tls::Stream::Wait::readable, left)) break;
  }
  return {bytes, false};
}

// A server that answers TLS in clear (an older lochat-server refusing a
// newcomer, or one out of descriptors) is shown, if its answer is one line of
// text, as what it is: unencrypted and unauthenticated, since anyone between
// here and there could have written it. Nothing more is sent or read.
void say_no_handshake(const FileDescriptor& socket, const tls::Stream& stream, const Target& target,
                      std::chrono::steady_clock::time_point deadline) {
  std::optional<std::string> line;
  if (stream.answered_in_clear()) {
    const auto [bytes, ended] = read_in_clear(socket, deadline);
    line = strangers::clear_answer_line(bytes, ended);
  }
  if (!line) {
    std::fprintf(stderr, "lochat: no TLS handshake with %s\n", target.text().c_str());
    return;
  }
  std::fprintf(stderr,
               "lochat: no TLS handshake with %s; it answered in clear (not encrypted, so "
               "anyone on the network could have written it):\n"
               "lochat:   %s\n",
               target.text().c_str(), line->c_str());
}

std::unique_ptr<ChatClient> over_tls(FileDescriptor socket, const Target& target,
                                     const KnownServers& known, ChatClient::Callbacks callbacks) {
  static const tls::Context context = client_context();
  set_nonblocking(socket);
  auto stream = std::make_unique<tls::Stream>(context, socket.get(), tls::Stream::Role::connect);
  const auto deadline = std::chrono::steady_clock::now() + kHandshakeTime;
  if (!stream->handshake_until(deadline)) {
    say_no_handshake(socket, *stream, target, deadline);
    return nullptr;
  }
  if (!check_pin(target, known, stream->peer_fingerprint())) return nullptr;
  return std::make_unique<ChatClient>(std::move(socket), std::move(stream), std::move(callbacks));
}

}  // namespace

std::unique_ptr<ChatClient> connect_securely(const ClientConfig& config,
                                             ChatClient::Callbacks callbacks) {
  try {
    if (config.plain) return in_clear(config, std::move(callbacks));
    const KnownServers known(config.known_servers.empty() ? KnownServers::default_path()
                                                          : config.known_servers);
    const Target target{config.host,
                        config.tls_port.value_or(static_cast<std::uint16_t>(config.port + 1))};
    std::optional<FileDescriptor> socket;
    if (target.port != 0) socket = connect_if_listening(target);
    if (socket) return over_tls(std::move(*socket), target, known, std::move(callbacks));
    // A server seen with TLS is never used in clear again without --plain.
    const Target pinned{config.host, static_cast<std::uint16_t>(config.port + 1)};
    const auto& checked = target.port != 0 ? target : pinned;
    if (const auto pin = known.find(checked.host, checked.port)) {
      say_pinned_but_not_answering(checked, known, *pin);
      return nullptr;
    }
    return in_clear(config, std::move(callbacks));
  } catch (const NetError& error) {
    std::fprintf(stderr, "lochat: %s\n", error.what());
    return nullptr;
  }
}

}  // namespace lochat::front_end
