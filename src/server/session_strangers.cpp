// Session's side of clients of another protocol (session.hpp): they are told
// where to go in one line, or, if they cannot read one, closed; nothing they
// sent is handled, relayed or logged.
#include <spdlog/spdlog.h>

#include <utility>

#include "lochat/server/session.hpp"
#include "lochat/wire/strangers.hpp"

namespace lochat {

namespace {

std::string_view why(Connection::Start start) {
  switch (start) {
    case Connection::Start::not_tls:
      return "it sent something else than TLS";
    case Connection::Start::silent:
      return "it sent nothing";
    default:
      return "the handshake failed or timed out";
  }
}

}  // namespace

// Someone at nc (typing, or waiting for a greeting) reads in plain text what
// this port is for; a TLS client whose handshake failed reads nothing more.
// A storm of them is logged in one line.
void Session::turn_away_at_tls_port(Connection::Start start) {
  if (start == Connection::Start::not_tls || start == Connection::Start::silent) {
    say_and_half_close(connection_.socket(), strangers::not_tls(config_.plain_port));
  }
  const auto count = config_.failed_handshakes ? config_.failed_handshakes->note() : 1;
  if (count > 0) {
    spdlog::info("No TLS handshake from {} client(s) (the last: {}: {})", count, peer_.to_string(),
                 why(start));
  }
}

// Its greeting has gone out already, in clear, which no TLS client can read:
// it is closed at once, before its ClientHello reaches the framer.
bool Session::speaks_tls_here(std::string_view first_bytes) {
  if (connection_.has_tls() || !strangers::opens_tls(first_bytes)) return false;
  spdlog::debug("Closing {}: it speaks TLS to the plain port", peer_.to_string());
  return true;
}

// Its request's headers (cookies too) are never handled: the session closes
// after one line saying where the web client is. (The greeting went out
// before the request came, so a well-formed HTTP response is out of reach.)
bool Session::is_web_browser(std::string_view first_line) {
  if (!strangers::is_http_request_line(first_line)) return false;
  const std::string web_address =
      config_.web_port == 0
          ? std::string()
          : "http://" +
                Endpoint{local_endpoint(connection_.socket()).address, config_.web_port}
                    .to_string() +
                "/";
  spdlog::debug("Closing {}: an HTTP request at the chat port", peer_.to_string());
  reply(strangers::not_a_web_server(web_address));
  quit_requested_ = true;
  flood_gate_.clear();
  return true;
}

}  // namespace lochat
