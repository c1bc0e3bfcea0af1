// The web client over TLS: https:// and wss:// on the web port, with the
// TLS port's certificate, beside http:// (or, with --plain off, instead of it).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "lochat/net/tls.hpp"
#include "lochat/server/password.hpp"
#include "raw_web_client.hpp"
#include "server_fixture.hpp"

namespace lochat::test {
namespace {

using Clock = std::chrono::steady_clock;

// A TLS connection to the web port, as a browser's: the server's bytes as
// they come (decrypted), and bytes sent as given. Server frames are unmasked,
// so a line the server sends shows in them verbatim.
class TlsPipe {
 public:
  explicit TlsPipe(std::uint16_t port) : socket_(connect_tcp("127.0.0.1", port)) {
    set_nonblocking(socket_);
    stream_ = std::make_unique<tls::Stream>(context_, socket_.get(), tls::Stream::Role::connect);
    shook_hands_ = stream_->handshake_until(Clock::now() + kPatience);
  }
  [[nodiscard]] bool shook_hands() const { return shook_hands_; }
  [[nodiscard]] std::string fingerprint() const { return stream_->peer_fingerprint(); }
  [[nodiscard]] const std::string& received() const { return received_; }

  bool send(std::string_view bytes) {
    const auto deadline = Clock::now() + kPatience;
    while (!bytes.empty() && Clock::now() < deadline) {
      const auto step = stream_->write(bytes);
      if (step.status == tls::Stream::Io::Status::done) {
        bytes.remove_prefix(step.bytes);
      } else if (step.status != tls::Stream::Io::Status::would_block ||
                 !tls::wait_for(socket_.get(), step.wait, kPatience)) {
        return false;
      }
    }
    return bytes.empty();
  }

  // Reads until `text` has come, or the connection ends, or the deadline passes.
  bool read_until_contains(std::string_view text) {
    const auto deadline = Clock::now() + kPatience;
    std::array<char, 16384> chunk{};
    while (received_.find(text) == std::string::npos) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return false;
      const auto step = stream_->read(chunk);
      if (step.status == tls::Stream::Io::Status::done) {
        received_.append(chunk.data(), step.bytes);
      } else if (step.status != tls::Stream::Io::Status::would_block) {
        return false;
      } else if (stream_->buffered() == 0) {
        tls::wait_for(socket_.get(), step.wait, left);
      }
    }
    return true;
  }

  // The whole answer to one request: read until the server ends the connection.
  std::string exchange(std::string_view request) {
    send(request);
    read_until_contains("\x01 never sent");
    return received_;
  }

 private:
  tls::Context context_ = tls::Context::client();
  FileDescriptor socket_;
  std::unique_ptr<tls::Stream> stream_;
  bool shook_hands_ = false;
  std::string received_;
};

class WebTlsTest : public ServerFixture {
 protected:
  void start_tls(bool plain = true, const std::string& password = "") {
    state_ =
        std::filesystem::temp_directory_path() / ("lochat-web-tls-" + std::to_string(::getpid()));
    ServerConfig config;
    config.tls.enabled = true;
    config.tls.state_directory = state_.string();
    config.plain = plain;
    if (!password.empty()) config.session.password_hash = password::hash(password);
    start(config);
    ASSERT_NE(server_->web_port(), 0);
  }
  void TearDown() override {
    ServerFixture::TearDown();
    std::filesystem::remove_all(state_);
  }
  std::uint16_t web_port() const { return server_->web_port(); }
  std::string own_origin(std::string_view scheme) const {
    return std::string(scheme) + "://127.0.0.1:" + std::to_string(web_port());
  }
  std::string get_request() const {
    return "GET / HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(web_port()) + "\r\n\r\n";
  }

  std::filesystem::path state_;
};

TEST_F(WebTlsTest, ThePageIsServedOverHttpsWithTheTlsPortsCertificate) {
  start_tls();
  TlsPipe https(web_port());
  ASSERT_TRUE(https.shook_hands());
  EXPECT_EQ(https.fingerprint(), server_->fingerprint());
  const auto page = https.exchange(get_request());
  EXPECT_EQ(status_of(page), 200) << page.substr(0, 200);
  EXPECT_TRUE(header_of(page, "Content-Security-Policy").starts_with("default-src 'self'"));
  EXPECT_NE(page.find("<script src=\"/app.js\""), std::string::npos);
}

TEST_F(WebTlsTest, AWssSocketFromTheHttpsPageChatsWithATcpClient) {
  start_tls();
  auto nc = join_as("nc");
  TlsPipe wss(web_port());
  ASSERT_TRUE(wss.shook_hands());
  ASSERT_TRUE(wss.send(upgrade_request(web_port(), Upgrade{own_origin("https"), "", false})));
  ASSERT_TRUE(wss.read_until_contains("Welcome to LoChat!"));
  EXPECT_EQ(status_of(wss.received()), 101);
  ASSERT_TRUE(wss.send(encode_frame(kText, "/nick secure")));
  EXPECT_TRUE(wss.read_until_contains("*** You are now known as secure"));
  ASSERT_TRUE(wss.send(encode_frame(kText, "hello over wss")));
  EXPECT_EQ(nc->read_chat_line(), "From secure: hello over wss");
  nc->send_line("hi back");
  EXPECT_TRUE(wss.read_until_contains("From nc: hi back"));
}

TEST_F(WebTlsTest, AWssSocketWithTheRightPasswordJoinsTheRoom) {
  start_tls(true, "correct horse");
  TlsPipe wss(web_port());
  ASSERT_TRUE(wss.shook_hands());
  ASSERT_TRUE(wss.send(upgrade_request(web_port(), Upgrade{own_origin("https"), "", false})));
  ASSERT_TRUE(wss.read_until_contains("password needed"));
  ASSERT_TRUE(wss.send(encode_frame(kText, "/pass correct horse")));
  ASSERT_TRUE(wss.send(encode_frame(kText, "/nick secure")));
  EXPECT_TRUE(wss.read_until_contains("*** You are now known as secure"))
      << wss.received().substr(wss.received().size() > 400 ? wss.received().size() - 400 : 0);
  EXPECT_EQ(wss.received().find("only accepted over TLS"), std::string::npos);
}

TEST_F(WebTlsTest, APlainWsSocketIsToldToOpenThePageOverHttpsForItsPassword) {
  start_tls(true, "correct horse");
  RawWebSocket ws(web_port(), own_origin("http"));
  ASSERT_EQ(ws.handshake_status(), 101);
  ws.send_text("/pass correct horse");
  EXPECT_TRUE(ws.read_until(
      "Error: a password is only accepted over TLS (not checked): open the page as https://HOST:" +
      std::to_string(web_port()) + "/"));
}

TEST_F(WebTlsTest, AnOriginWithTheOtherSchemeIsRefusedEitherWay) {
  start_tls();
  TlsPipe wss(web_port());
  ASSERT_TRUE(wss.shook_hands());
  const auto refused =
      wss.exchange(upgrade_request(web_port(), Upgrade{own_origin("http"), "", false}));
  EXPECT_EQ(status_of(refused), 403);
  RawWebSocket ws(web_port(), own_origin("https"));
  EXPECT_EQ(ws.handshake_status(), 403);
  RawWebSocket clear(web_port(), own_origin("http"));
  EXPECT_EQ(clear.handshake_status(), 101) << "in clear too while --plain is on";
}

TEST_F(WebTlsTest, WithPlainOffHttpIsSentToHttpsAndTheClearSocketIsRefused) {
  start_tls(false);
  const auto page = http_get(web_port(), "/app.js?v=1");
  EXPECT_EQ(status_of(page), 308);
  EXPECT_EQ(header_of(page, "Location"), own_origin("https") + "/app.js?v=1");
  EXPECT_EQ(page.find("use strict"), std::string::npos) << "nothing of the page in clear";
  RawWebSocket clear(web_port(), own_origin("http"));
  EXPECT_EQ(clear.handshake_status(), 403);
  RawWebSocket no_origin(web_port());
  EXPECT_EQ(no_origin.handshake_status(), 403);
  TlsPipe https(web_port());
  ASSERT_TRUE(https.shook_hands());
  EXPECT_EQ(status_of(https.exchange(get_request())), 200);
}

// The web client lines the server logs until its https one (the http one, if any, comes first).
std::vector<std::string> web_client_lines_until_https(ServerProcess& server) {
  std::vector<std::string> lines;
  while (const auto line = server.process().read_stderr_line()) {
    if (line->find("Web client at ") == std::string::npos) continue;
    lines.push_back(line->substr(line->find("Web client at ")));
    if (line->find("Web client at https://") != std::string::npos) break;
  }
  return lines;
}

TEST(WebTlsServer, LogsBothAddressesOfItsWebClientAndOnlyTheHttpsOneWhenPlainIsOff) {
  const auto state =
      std::filesystem::temp_directory_path() / ("lochat-web-tls-log-" + std::to_string(::getpid()));
  {
    ServerProcess server({"--tls-port", "0", "--state-dir", state.string()});
    const auto lines = web_client_lines_until_https(server);
    ASSERT_EQ(lines.size(), 2U);
    EXPECT_TRUE(lines[0].starts_with("Web client at http://127.0.0.1:")) << lines[0];
    EXPECT_TRUE(lines[1].starts_with("Web client at https://127.0.0.1:")) << lines[1];
  }
  {
    ServerProcess tls_only({"--tls-port", "0", "--state-dir", state.string(), "--plain", "off"});
    const auto lines = web_client_lines_until_https(tls_only);
    ASSERT_EQ(lines.size(), 1U);
    EXPECT_TRUE(lines[0].starts_with("Web client at https://127.0.0.1:")) << lines[0];
  }
  std::filesystem::remove_all(state);
}

}  // namespace
}  // namespace lochat::test
