#include "lochat/web/web_connection.hpp"

#include <openssl/ssl.h>
#include <sys/socket.h>

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <chrono>
#include <optional>
#include <utility>

#include "lochat/web/http_responses.hpp"
#include "lochat/web/web_bridge.hpp"

namespace lochat::web {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using asio::ip::tcp;

namespace {

// The WebSocket handshake (and close) must finish within this.
constexpr std::chrono::seconds kHandshakeTimeout{10};
// A browser silent this long is pinged at half of it and dropped at its end:
// a phone that went out of range does not keep its place for the TCP
// keepalive's minutes.
constexpr std::chrono::seconds kIdleTimeout{60};

// What the first read takes: a ClientHello's first record, or a request's start.
constexpr std::size_t kFirstRead = 1024;
// A TLS record of type handshake: a ClientHello opens with it; no HTTP
// request does (a method is letters).
constexpr unsigned char kTlsHandshakeRecord = 0x16;
// After the answer over TLS, the browser gets this long to answer our
// close_notify; then the connection just closes.
constexpr std::chrono::seconds kTlsCloseGrace{1};

http::status status_for(const boost::system::error_code& error) {
  if (error == http::error::header_limit) return http::status::request_header_fields_too_large;
  if (error == http::error::body_limit || error == http::error::unexpected_body) {
    return http::status::payload_too_large;
  }
  return http::status::bad_request;
}

tcp protocol_of(const Endpoint& peer) {
  return peer.address.find(':') == std::string::npos ? tcp::v4() : tcp::v6();
}

// Sends `response`, then ends the connection as the stream ends one: a FIN
// after the answer in clear, close_notify (with a short grace) over TLS.
asio::awaitable<void> reply(PlainStream& stream, Response response) {
  boost::system::error_code error;
  co_await http::async_write(stream, response, asio::redirect_error(asio::use_awaitable, error));
  stream.socket().shutdown(tcp::socket::shutdown_send, error);
}

asio::awaitable<void> reply(TlsStream& stream, Response response) {
  boost::system::error_code error;
  co_await http::async_write(stream, response, asio::redirect_error(asio::use_awaitable, error));
  if (error) co_return;
  stream.next_layer().expires_after(kTlsCloseGrace);
  co_await stream.async_shutdown(asio::redirect_error(asio::use_awaitable, error));
}

// The answer that stops a request before it is served, if any: 403 for a
// Host that is not this server's or an Origin that is not this page's; in
// clear when only TLS may carry the chat (--plain off), a redirect to
// https for the page and 403 for the socket.
std::optional<Response> refusal(const Request& request, bool upgrade, bool secure,
                                bool clear_allowed) {
  if (!host_allowed(request) || (upgrade && !origin_allowed(request, secure)) ||
      (upgrade && !clear_allowed)) {
    return error_response(http::status::forbidden, request.version());
  }
  if (!clear_allowed) return redirect_to_https(request);
  return std::nullopt;
}

}  // namespace

WebConnection::WebConnection(FileDescriptor socket, Endpoint peer, const WebConfig& config,
                             const HandOver& hand_over, std::function<void()> on_finished)
    : socket_(std::move(socket)),
      peer_(std::move(peer)),
      config_(config),
      hand_over_(hand_over),
      on_finished_(std::move(on_finished)) {}

void WebConnection::run() {
  set_send_buffer(socket_, config_.socket_send_buffer);
  asio::co_spawn(io_, serve(socket_.release()), asio::detached);
  io_.run();
  finished_.store(true);
  on_finished_();
}

void WebConnection::stop_soon(std::chrono::milliseconds grace) {
  asio::post(io_, [this, grace] {
    auto timer = std::make_shared<asio::steady_timer>(io_, grace);
    timer->async_wait([this, timer](const boost::system::error_code&) { io_.stop(); });
  });
}

asio::awaitable<void> WebConnection::serve(int socket) {
  beast::tcp_stream stream(tcp::socket(io_, protocol_of(peer_), socket));
  beast::flat_buffer buffer;
  boost::system::error_code error;
  // One deadline for the whole request, TLS handshake included.
  stream.expires_after(config_.request_timeout);
  const std::size_t got = co_await stream.async_read_some(
      buffer.prepare(kFirstRead), asio::redirect_error(asio::use_awaitable, error));
  if (error) co_return;  // too slow, or gone
  buffer.commit(got);
  const auto first = static_cast<const unsigned char*>(buffer.data().data())[0];
  if (first == kTlsHandshakeRecord && config_.tls) {
    co_await serve_tls(std::move(stream), buffer);
  } else {
    co_await serve_request(stream, buffer, false);
  }
}

asio::awaitable<void> WebConnection::serve_tls(beast::tcp_stream plain,
                                               beast::flat_buffer& buffer) {
  // The TLS port's own OpenSSL context, shared: the same certificate and the
  // same settings (tls.hpp); Asio's wrapper takes a reference of its own.
  SSL_CTX_up_ref(config_.tls->get());
  asio::ssl::context context(config_.tls->get());
  TlsStream stream(std::move(plain), context);
  boost::system::error_code error;
  // The bytes already read are the start of the ClientHello.
  co_await stream.async_handshake(asio::ssl::stream_base::server, buffer.data(),
                                  asio::redirect_error(asio::use_awaitable, error));
  if (error) co_return;
  buffer.consume(buffer.size());
  co_await serve_request(stream, buffer, true);
}

template <class Stream>
asio::awaitable<void> WebConnection::serve_request(Stream& stream, beast::flat_buffer& buffer,
                                                   bool secure) {
  http::request_parser<http::empty_body> parser;
  parser.header_limit(kHeaderLimit);
  boost::system::error_code error;
  co_await http::async_read(stream, buffer, parser,
                            asio::redirect_error(asio::use_awaitable, error));
  // Too slow (the stream has closed itself) or gone: nobody to answer.
  if (error == beast::error::timeout || error == http::error::end_of_stream) co_return;
  if (error) {
    co_await reply(stream, error_response(status_for(error), 11));
    co_return;
  }
  auto request = parser.release();
  const bool upgrade = websocket::is_upgrade(request) && path_of(request.target()) == kSocketPath;
  const bool clear_allowed = secure || !config_.tls || config_.plain;
  auto refused = refusal(request, upgrade, secure, clear_allowed);
  if (!refused && upgrade) {
    co_await bridge(stream, request, secure);
    co_return;
  }
  // Named, not a conditional inside co_await: g++ 12 destroys such a
  // temporary twice.
  Response response = refused ? std::move(*refused) : answer(request);
  co_await reply(stream, std::move(response));
}

template <class Stream, class Request>
asio::awaitable<void> WebConnection::bridge(Stream& stream, const Request& request, bool secure) {
  boost::system::error_code error;
  beast::get_lowest_layer(stream).expires_never();  // the WebSocket's own timeouts take over
  typename WebBridge<Stream>::WebSocket websocket(std::move(stream));
  websocket.set_option(websocket::stream_base::timeout{kHandshakeTimeout, kIdleTimeout, true});
  websocket.read_message_max(2 * config_.max_line);
  co_await websocket.async_accept(request, asio::redirect_error(asio::use_awaitable, error));
  if (error) co_return;
  std::array<int, 2> pair{};
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair.data()) != 0) {
    co_await websocket.async_close(websocket::close_code::try_again_later,
                                   asio::redirect_error(asio::use_awaitable, error));
    co_return;
  }
  FileDescriptor bridge_end(pair[1]);
  set_send_buffer(bridge_end, config_.socket_send_buffer);
  hand_over_(FileDescriptor(pair[0]), peer_, secure);
  pending_.store(false);
  SessionEnd session_end(io_, asio::local::stream_protocol(), bridge_end.release());
  // A server line may be --max-line of text behind a name and a prefix, or a
  // /who of a hundred names: four times the limit and some is plenty.
  const std::size_t max_server_line = 4 * config_.max_line + 16 * 1024;
  std::make_shared<WebBridge<Stream>>(std::move(websocket), std::move(session_end), max_server_line)
      ->start();
}

}  // namespace lochat::web
