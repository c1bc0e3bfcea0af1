#include "lochat/web/web_bridge.hpp"

#include <poll.h>

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <string>
#include <utility>

namespace lochat::web {

namespace asio = boost::asio;
namespace websocket = boost::beast::websocket;

namespace {

// What one read from the session takes: the size the server's own reads use.
constexpr std::size_t kChunkBytes = 16 * 1024;
// Once the session has closed its end, the browser gets this long to take
// what is left and the close frame. A reading browser needs milliseconds; one
// that has not taken them by then is the stalled reader the session dropped.
constexpr std::chrono::seconds kDrainGrace{2};

// Whether the session has closed its end: the hang-up shows at once,
// whatever is still unread, as it does to the reactor's wait_error.
bool hung_up(int socket) {
  pollfd watched{socket, 0, 0};
  return ::poll(&watched, 1, 0) == 1 && (watched.revents & POLLHUP) != 0;
}

}  // namespace

template <class Stream>
WebBridge<Stream>::WebBridge(WebSocket socket, SessionEnd session_end, std::size_t max_server_line)
    : socket_(std::move(socket)),
      session_end_(std::move(session_end)),
      max_server_line_(max_server_line) {}

template <class Stream>
void WebBridge<Stream>::start() {
  auto executor = socket_.get_executor();
  asio::co_spawn(
      executor, [self = this->shared_from_this()] { return self->browser_to_session(); },
      asio::detached);
  asio::co_spawn(
      executor, [self = this->shared_from_this()] { return self->session_to_browser(); },
      asio::detached);
  asio::co_spawn(
      executor, [self = this->shared_from_this()] { return self->reset_if_left_behind(); },
      asio::detached);
}

template <class Stream>
asio::awaitable<void> WebBridge<Stream>::browser_to_session() {
  boost::beast::flat_buffer message;
  boost::system::error_code error;
  for (;;) {
    co_await socket_.async_read(message, asio::redirect_error(asio::use_awaitable, error));
    if (error) break;
    std::string line = boost::beast::buffers_to_string(message.data());
    message.consume(message.size());
    line.push_back('\n');
    co_await asio::async_write(session_end_, asio::buffer(line),
                               asio::redirect_error(asio::use_awaitable, error));
    if (error) break;
  }
  // The browser has gone, or broke the protocol: the session reads the end of
  // its input, handles what it has, and leaves as a TCP client would.
  session_end_.shutdown(asio::socket_base::shutdown_send, error);
}

template <class Stream>
asio::awaitable<void> WebBridge<Stream>::session_to_browser() {
  std::array<char, kChunkBytes> chunk{};
  std::string pending;
  boost::system::error_code error;
  socket_.text(true);
  for (;;) {
    const std::size_t read = co_await session_end_.async_read_some(
        asio::buffer(chunk), asio::redirect_error(asio::use_awaitable, error));
    if (error) break;
    pending.append(chunk.data(), read);
    std::size_t start = 0;
    for (auto end = pending.find('\n'); end != std::string::npos; end = pending.find('\n', start)) {
      co_await socket_.async_write(asio::buffer(pending.data() + start, end - start),
                                   asio::redirect_error(asio::use_awaitable, error));
      if (error) co_return;  // the browser has gone; its direction ends the session
      start = end + 1;
    }
    pending.erase(0, start);
    if (pending.size() > max_server_line_) break;
  }
  // The session has ended (quit, disconnected, server stopping): the browser
  // has every line it was sent, then the close.
  co_await socket_.async_close(websocket::close_code::normal,
                               asio::redirect_error(asio::use_awaitable, error));
}

template <class Stream>
asio::awaitable<void> WebBridge<Stream>::reset_if_left_behind() {
  boost::system::error_code error;
  // The epoll reactor is edge-triggered: a hang-up before the wait is queued
  // would not be reported again, so look first.
  if (!hung_up(session_end_.native_handle())) {
    co_await session_end_.async_wait(SessionEnd::wait_error,
                                     asio::redirect_error(asio::use_awaitable, error));
  }
  asio::steady_timer grace(co_await asio::this_coro::executor, kDrainGrace);
  co_await grace.async_wait(asio::redirect_error(asio::use_awaitable, error));
  auto& browser = boost::beast::get_lowest_layer(socket_).socket();
  if (!browser.is_open()) co_return;  // closed in good order
  // A graceful close would leave the unread backlog in an orphaned kernel
  // socket, retransmitted for minutes; a reset frees it now. Closing also
  // ends both directions' pending operations.
  browser.set_option(asio::socket_base::linger(true, 0), error);
  browser.close(error);
}

template class WebBridge<PlainStream>;
template class WebBridge<TlsStream>;

}  // namespace lochat::web
