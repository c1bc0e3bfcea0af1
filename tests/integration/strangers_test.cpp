// Clients at the wrong port, or refused at the TLS port, over real sockets:
// a refusal on the TLS port is read inside TLS, and nobody can hold the
// refusals up; someone typing at the TLS port is told where to go at once; a
// TLS client or a web browser at the plain port is closed, and nothing it
// sent reaches the room.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "server_fixture.hpp"
#include "tls_line_client.hpp"

namespace lochat::test {
namespace {

class Strangers : public ServerFixture {
 protected:
  void start_with_tls(ServerConfig config = {}) {
    config.tls.enabled = true;
    config.tls.state_directory = state_.path().string();
    start(std::move(config));
  }
  [[nodiscard]] std::string not_tls_line() const {
    return "Error: this is the TLS port; use a TLS client (lochat, openssl s_client, ncat --ssl) "
           "or the plain port " +
           std::to_string(server_->port());
  }
  // Another client's line, then what `watcher` hears next: the proof that
  // nothing else reached the room before it.
  static void expect_next_heard_is_a_marker(LineClient& speaker, LineClient& watcher) {
    speaker.send_line("marker");
    const auto heard = watcher.read_chat_line();
    ASSERT_TRUE(heard);
    EXPECT_TRUE(heard->ends_with(": marker")) << *heard;
  }

  ScratchDirectory state_{"lochat-strangers"};  // the server's key and certificate
};

TEST_F(Strangers, ARefusalOnTheTlsPortIsReadInsideTls) {
  ServerConfig config;
  config.max_clients = 1;
  start_with_tls(config);
  const auto holder = join();
  TlsLineClient refused(server_->tls_port());
  ASSERT_TRUE(refused.handshake());
  EXPECT_EQ(refused.read_line(), "Error: server full (1 clients), try again later");
  EXPECT_TRUE(refused.wait_closed());
}

TEST_F(Strangers, RefusedTlsNewcomersThatStallHoldNobodyUpNorAnyThread) {
  ServerConfig config;
  config.max_clients = 1;
  start_with_tls(config);
  const auto holder = join();
  const auto threads_before = std::distance(std::filesystem::directory_iterator("/proc/self/task"),
                                            std::filesystem::directory_iterator{});
  // Never a byte of handshake: each would hold a refusal until its deadline (5 s).
  std::vector<FileDescriptor> stalling;
  for (const auto* source : {"127.0.0.1", "127.0.0.3"}) {
    for (int i = 0; i < 10; ++i) stalling.push_back(connect_from(source, server_->tls_port()));
  }
  const auto started = std::chrono::steady_clock::now();
  TlsLineClient refused(server_->tls_port(), "127.0.0.2");
  ASSERT_TRUE(refused.handshake());
  EXPECT_EQ(refused.read_line(), "Error: server full (1 clients), try again later");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
  // Accepted in order, so the stalling ones were refused before it: by no thread of their own.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator("/proc/self/task"),
                          std::filesystem::directory_iterator{}),
            threads_before);
  EXPECT_EQ(server_->session_threads(), 1U);
}

TEST_F(Strangers, SomeoneTypingAtTheTlsPortIsToldAtOnceWhereToGo) {
  start_with_tls();
  LineClient typing(server_->tls_port());
  const auto started = std::chrono::steady_clock::now();
  typing.send_line("hello?");
  EXPECT_EQ(typing.read_line(), not_tls_line());
  EXPECT_TRUE(typing.wait_closed());
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);  // not the handshake's 5 s
}

TEST_F(Strangers, WithPlainOffTheTlsPortSaysTheServerOnlySpeaksTls) {
  ServerConfig config;
  config.plain = false;
  start_with_tls(config);
  LineClient typing(server_->tls_port());
  typing.send_line("hello?");
  EXPECT_EQ(typing.read_line(),
            "Error: this server only speaks TLS; use a TLS client (lochat, openssl s_client, "
            "ncat --ssl)");
}

TEST_F(Strangers, SomeoneSilentAtTheTlsPortIsToldWhereToGoAtTheDeadline) {
  start_with_tls();
  LineClient waiting(server_->tls_port());
  EXPECT_EQ(waiting.read_line(), not_tls_line());  // after the handshake's 5 s
  EXPECT_TRUE(waiting.wait_closed());
}

// What a TLS client sends first: a real ClientHello, made by OpenSSL into a socket pair.
std::string client_hello() {
  std::array<int, 2> pair{};
  EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair.data()), 0);
  const FileDescriptor ours(pair[0]);
  const FileDescriptor theirs(pair[1]);
  set_nonblocking(ours);
  static const tls::Context context = tls::Context::client();
  tls::Stream client(context, ours.get(), tls::Stream::Role::connect);
  EXPECT_EQ(client.handshake().status, tls::Stream::Io::Status::would_block);
  std::array<char, 4096> hello{};
  const auto got = ::recv(theirs.get(), hello.data(), hello.size(), MSG_DONTWAIT);
  EXPECT_GT(got, 0);
  return {hello.data(), static_cast<std::size_t>(std::max<ssize_t>(got, 0))};
}

TEST_F(Strangers, ATlsClientAtThePlainPortIsClosedAndNothingOfItReachesTheRoom) {
  start();
  const auto watcher = join();
  const auto speaker = join();
  LineClient lost(server_->port());
  lost.send_raw(client_hello());
  EXPECT_TRUE(lost.wait_closed());  // at once, greeting read, not waiting for the client
  expect_next_heard_is_a_marker(*speaker, *watcher);
}

TEST_F(Strangers, AnHttpRequestAtThePlainPortIsPointedToTheWebClientAndNotRelayed) {
  start();
  const auto watcher = join();
  const auto speaker = join();
  LineClient browser(server_->port());
  browser.send_raw(
      "GET /chat HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: session=secret\r\nAccept: */*\r\n\r\n");
  EXPECT_TRUE(browser.read_until(
      "Error: this is LoChat's chat port (for lochat and nc), not a web server; the web client "
      "is at http://127.0.0.1:" +
      std::to_string(server_->web_port()) + "/"));
  EXPECT_TRUE(browser.wait_closed());
  expect_next_heard_is_a_marker(*speaker, *watcher);
}

TEST_F(Strangers, AFirstLineThatOnlyBeginsLikeHttpIsChat) {
  start();
  const auto watcher = join();
  const auto person = join();
  person->send_line("GET me a coffee, HTTP/1.1 is not a drink");
  const auto heard = watcher->read_chat_line();
  ASSERT_TRUE(heard);
  EXPECT_TRUE(heard->ends_with(": GET me a coffee, HTTP/1.1 is not a drink")) << *heard;
}

}  // namespace
}  // namespace lochat::test
