// The web client's listener over real sockets: HTTP answers and limits,
// the WebSocket handshake and frames (with a hand-written client, see
// raw_web_client.hpp), and a browser as a client like any other.
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "raw_web_client.hpp"
#include "server_fixture.hpp"

namespace lochat::test {
namespace {

// Bytes that server-side sockets on `port` (not the listener) still hold
// unsent, from /proc/net/tcp: what a dropped browser's backlog would keep.
std::size_t unsent_from_port(std::uint16_t port) {
  constexpr std::string_view kListening = "0A";
  std::ifstream table("/proc/net/tcp");
  std::string line;
  std::getline(table, line);  // the column names
  std::size_t unsent = 0;
  while (std::getline(table, line)) {
    std::istringstream fields(line);
    std::string slot;
    std::string local;
    std::string remote;
    std::string state;
    std::string queues;
    fields >> slot >> local >> remote >> state >> queues;
    if (std::stoul(local.substr(local.find(':') + 1), nullptr, 16) != port) continue;
    if (state == kListening) continue;
    unsent += std::stoul(queues.substr(0, queues.find(':')), nullptr, 16);
  }
  return unsent;
}

class WebTest : public ServerFixture {
 protected:
  void start_web(ServerConfig config = {}) {
    start(std::move(config));
    ASSERT_NE(server_->web_port(), 0);
  }
  std::uint16_t web_port() const { return server_->web_port(); }

  // A WebSocket client that has read its greeting and taken `name`.
  std::unique_ptr<RawWebSocket> browser(const std::string& name) {
    auto socket = std::make_unique<RawWebSocket>(web_port());
    EXPECT_EQ(socket->handshake_status(), 101);
    EXPECT_TRUE(socket->read_until("Welcome to LoChat!"));
    socket->send_text("/nick " + name);
    EXPECT_TRUE(socket->read_until("*** You are now known as " + name));
    return socket;
  }
};

TEST_F(WebTest, ThePageAndItsFilesAreServedWithTheirTypesAndAContentSecurityPolicy) {
  start_web();
  const auto page = http_get(web_port(), "/");
  EXPECT_EQ(status_of(page), 200);
  EXPECT_EQ(header_of(page, "Content-Type"), "text/html; charset=utf-8");
  EXPECT_TRUE(header_of(page, "Content-Security-Policy").starts_with("default-src 'self'"));
  EXPECT_EQ(header_of(page, "X-Content-Type-Options"), "nosniff");
  EXPECT_NE(page.find("<script src=\"/app.js\""), std::string::npos);
  EXPECT_EQ(page.find("<script>"), std::string::npos) << "no inline script";
  const auto script = http_get(web_port(), "/app.js");
  EXPECT_EQ(status_of(script), 200);
  EXPECT_EQ(header_of(script, "Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(script.find("innerHTML"), std::string::npos) << "peer text only as textContent";
  EXPECT_EQ(status_of(http_get(web_port(), "/?from=a-link")), 200);
  const auto style = http_get(web_port(), "/style.css");
  EXPECT_EQ(header_of(style, "Content-Type"), "text/css; charset=utf-8");
}

TEST_F(WebTest, AnythingButThePageItsFilesAndTheSocketIsA404) {
  start_web();
  for (const char* target : {"/nope", "/../etc/passwd", "/index.html/", "/ws"}) {
    const auto response = http_get(web_port(), target);
    EXPECT_EQ(status_of(response), 404) << target;
    EXPECT_FALSE(header_of(response, "Content-Security-Policy").empty()) << target;
  }
  const auto post =
      http_exchange(web_port(), "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(status_of(post), 404);
}

TEST_F(WebTest, HeadOfAnyFileAnswersItsHeadersWithoutTheBody) {
  start_web();
  for (const char* target : {"/", "/app.js", "/style.css?v=2"}) {
    const auto get = http_get(web_port(), target);
    const auto head = http_exchange(
        web_port(), "HEAD " + std::string(target) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    EXPECT_EQ(status_of(head), 200) << target;
    EXPECT_EQ(header_of(head, "Content-Type"), header_of(get, "Content-Type")) << target;
    EXPECT_EQ(header_of(head, "Content-Length"), header_of(get, "Content-Length")) << target;
    EXPECT_NE(header_of(head, "Content-Length"), "0") << target;
    EXPECT_TRUE(head.ends_with("\r\n\r\n")) << target << ": no body after the headers";
  }
}

TEST_F(WebTest, AQueryStringDoesNotChangeWhereTheSocketIs) {
  start_web();
  RawWebSocket socket(web_port(), Upgrade{"", "", false, "/ws?x=1"});
  EXPECT_EQ(socket.handshake_status(), 101);
  EXPECT_TRUE(socket.read_until("Welcome to LoChat!"));
}

TEST_F(WebTest, OversizedHeadersABodyAndGarbageAreRefused) {
  start_web();
  const std::string huge(9000, 'a');
  const auto big =
      http_exchange(web_port(), "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + huge + "\r\n\r\n");
  EXPECT_EQ(status_of(big), 431);
  const auto body = http_exchange(
      web_port(), "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n\r\nhello");
  EXPECT_EQ(status_of(body), 413);
  const auto garbage = http_exchange(web_port(), "NOT HTTP AT ALL\r\n\r\n");
  EXPECT_EQ(status_of(garbage), 400);
}

TEST_F(WebTest, ARequestThatDoesNotArriveInTimeIsClosed) {
  ServerConfig config;
  config.web_request_timeout = std::chrono::milliseconds(300);
  start_web(config);
  const auto started = std::chrono::steady_clock::now();
  // Half a request line, then nothing: the connection must not stay open.
  const auto answer = http_exchange(web_port(), "GET / HTT", std::chrono::seconds(5));
  const auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(answer, "");
  EXPECT_GE(waited, std::chrono::milliseconds(250));
  EXPECT_LT(waited, std::chrono::seconds(3)) << "closed by the timeout, not by the test's own";
}

TEST_F(WebTest, ABrowserAndATcpClientChatOneTextMessagePerLine) {
  start_web();
  auto zoe = browser("Zoë");
  auto nc = join_as("nc");
  zoe->send_text("hello from the web");
  EXPECT_TRUE(zoe->read_until("Message Received"));
  EXPECT_EQ(nc->read_chat_line(), "From Zoë: hello from the web");
  nc->send_line("hi back");
  EXPECT_EQ(zoe->read_chat_text(), "From nc: hi back");
}

TEST_F(WebTest, AFragmentedMessageIsOneLine) {
  start_web();
  auto web = browser("frag");
  auto nc = join_as("nc");
  web->send_frame(kText, "hel", false);
  web->send_frame(kPing, "in between");  // a control frame may come between fragments
  web->send_frame(kContinuation, "lo ", false);
  web->send_frame(kContinuation, "world", true);
  EXPECT_EQ(nc->read_chat_line(), "From frag: hello world");
}

TEST_F(WebTest, APingIsAnsweredWithAPongCarryingItsPayload) {
  start_web();
  auto web = browser("pinger");
  web->send_frame(kPing, "are you there");
  std::optional<Frame> frame;
  while ((frame = web->read_frame()) && frame->opcode != kPong) {
  }
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->payload, "are you there");
}

TEST_F(WebTest, ACloseFromTheBrowserIsAnsweredAndOthersHearItLeft) {
  start_web();
  auto nc = join_as("nc");
  auto web = browser("leaver");
  web->send_frame(kClose, std::string("\x03\xe8", 2));  // 1000, normal
  const auto close = web->read_until_close();
  ASSERT_TRUE(close);
  EXPECT_EQ(close->close_code(), 1000);
  web->close();  // as a browser does once both close frames have passed (RFC 6455, 7.1.1)
  EXPECT_TRUE(nc->read_until("*** leaver left (1 online)"));
}

TEST_F(WebTest, AnUnmaskedOrMalformedFrameClosesTheConnectionWithAProtocolError) {
  start_web();
  auto unmasked = browser("unmasked");
  unmasked->send_frame(kText, "no mask", true, false);
  auto close = unmasked->read_until_close();
  ASSERT_TRUE(close);
  EXPECT_EQ(close->close_code(), 1002);
  auto reserved = browser("reserved");
  reserved->send_raw(std::string("\xf1\x80\x01\x02\x03\x04", 6));  // RSV bits set, no extension
  close = reserved->read_until_close();
  ASSERT_TRUE(close);
  EXPECT_EQ(close->close_code(), 1002);
}

TEST_F(WebTest, AMessageOverTheLineLimitGetsTheUsualErrorAndAFarLongerOneCloses) {
  ServerConfig config;
  config.session.max_line = 64;
  start_web(config);
  auto web = browser("long");
  web->send_text(std::string(100, 'x'));
  EXPECT_TRUE(web->read_until("Error: line too long (more than 64 bytes), not sent"));
  web->send_text("still here");
  EXPECT_TRUE(web->read_until("Message Received"));
  web->send_text(std::string(1000, 'y'));
  const auto close = web->read_until_close();
  ASSERT_TRUE(close);
  EXPECT_EQ(close->close_code(), 1009);
}

TEST_F(WebTest, AnUpgradeFromAnotherSitesPageIsRefused) {
  start_web();
  RawWebSocket foreign(web_port(), "http://evil.example");
  EXPECT_EQ(foreign.handshake_status(), 403);
  RawWebSocket own(web_port(), "http://127.0.0.1:" + std::to_string(web_port()));
  EXPECT_EQ(own.handshake_status(), 101);
}

// Under DNS rebinding a foreign page reaches the server under its own name,
// with an Origin that matches that Host: the Host must name this server.
TEST_F(WebTest, AnUpgradeUnderAForeignHostNameIsRefusedEvenWithAMatchingOrigin) {
  start_web();
  const auto port = ":" + std::to_string(web_port());
  RawWebSocket rebound(web_port(), Upgrade{"http://evil.example" + port, "evil.example" + port});
  EXPECT_EQ(rebound.handshake_status(), 403);
  const auto page = http_exchange(
      web_port(), "GET / HTTP/1.1\r\nHost: evil.example" + port + "\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_of(page), 403);
  std::array<char, 256> own{};
  ASSERT_EQ(::gethostname(own.data(), own.size() - 1), 0);
  for (const std::string& host :
       std::vector<std::string>{"127.0.0.1", "localhost", "[::1]", std::string(own.data())}) {
    RawWebSocket socket(web_port(), Upgrade{"http://" + host + port, host + port});
    EXPECT_EQ(socket.handshake_status(), 101) << host;
  }
}

// A browser that never reads is dropped as a TCP client is, and its unread
// backlog goes with it (a reset), not into an orphaned kernel socket.
TEST_F(WebTest, ABrowserThatNeverReadsIsDroppedInTimeAndLeavesNoBacklogBehind) {
  constexpr std::chrono::milliseconds kWellPastTheTimeoutAndTheGrace{5000};
  ServerConfig config;
  config.session.rate = 0;  // a load test, not a test of flood control
  config.session.sendq_bytes = 64 * 1024;
  config.session.sendq_timeout = 1s;
  start_web(config);
  RawWebSocket staller(web_port(), Upgrade{"", "", true});
  ASSERT_EQ(staller.handshake_status(), 101);
  auto alice = join();
  ASSERT_TRUE(eventually([&] { return server_->online() == 2; }));
  // Up to 1 MB for the browser: past what its buffers and its queue hold.
  const std::string filler(1000, 'f');
  for (int m = 0; m < 1000 && server_->online() == 2; ++m) {
    alice->send_line(filler);
    ASSERT_EQ(alice->read_chat_line(), "Message Received");
  }
  EXPECT_TRUE(eventually([&] { return server_->online() == 1; }, kWellPastTheTimeoutAndTheGrace))
      << "the browser should have been dropped";
  EXPECT_TRUE(
      eventually([&] { return unsent_from_port(web_port()) == 0; }, kWellPastTheTimeoutAndTheGrace))
      << unsent_from_port(web_port()) << " bytes still held for the dropped browser";
}

TEST_F(WebTest, ABrowserCountsAgainstMaxClients) {
  ServerConfig config;
  config.max_clients = 1;
  start_web(config);
  auto nc = join();
  RawWebSocket web(web_port());
  ASSERT_EQ(web.handshake_status(), 101);
  EXPECT_TRUE(web.read_until("Error: server full (1 clients), try again later"));
  EXPECT_TRUE(web.read_until_close());
}

TEST_F(WebTest, FloodControlHoldsForABrowserAsForAnyClient) {
  ServerConfig config;
  config.session.burst = 2;
  config.session.rate = 1;
  config.session.flood_lines = 5;
  start_web(config);
  auto web = browser("flooder");
  for (int i = 0; i < 20; ++i) web->send_text("line " + std::to_string(i));
  EXPECT_TRUE(web->read_until("Error: disconnected: flooding (more than 5 lines waiting)"));
  EXPECT_TRUE(web->read_until_close());
}

}  // namespace
}  // namespace lochat::test
