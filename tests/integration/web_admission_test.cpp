// The web port's HTTP stage under slow requests: one address (or a few)
// holding requests open must not lock other browsers out. Each 127.x source
// address is another machine to the server (LineClient::from).
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "server_fixture.hpp"

namespace lochat::test {
namespace {

// The server's bounds on connections still in the HTTP stage (server_web.cpp).
constexpr std::size_t kPendingPerAddress = 8;
constexpr std::size_t kPendingInAll = 64;
// Half a request line, then nothing: a request that holds its place until
// the request timeout.
constexpr std::string_view kSlowStart = "GET / HTT";

class WebAdmissionTest : public ServerFixture {
 protected:
  void start_web() {
    ServerConfig config;
    config.max_clients = 20;  // the listener's connections: 20 + 64 (issue 16's report)
    config.web_request_timeout = std::chrono::seconds(60);  // the slow ones outlast the test
    start(config);
    ASSERT_NE(server_->web_port(), 0);
  }

  std::unique_ptr<LineClient> slow_request(const std::string& source) {
    auto client = std::make_unique<LineClient>(LineClient::from(source, server_->web_port()));
    client->send_raw(kSlowStart);
    return client;
  }

  // A browser from `source` asking for the page: the answer's status line.
  std::string page_status(const std::string& source) {
    auto client = LineClient::from(source, server_->web_port());
    client.send_raw("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    return client.read_line().value_or("(closed unanswered)");
  }
};

TEST_F(WebAdmissionTest, SlowRequestsFromOneAddressDoNotLockOtherBrowsersOut) {
  constexpr std::size_t kSlow = 100;  // past the listener's 84 connections
  start_web();
  std::vector<std::unique_ptr<LineClient>> slow;
  for (std::size_t i = 0; i < kSlow; ++i) slow.push_back(slow_request("127.0.0.2"));
  // Accepted in the order they connected: past the first few, each is closed at once.
  for (std::size_t i = kPendingPerAddress; i < kSlow; ++i) {
    ASSERT_TRUE(slow[i]->wait_closed()) << "slow request " << i << " still open";
  }
  EXPECT_EQ(page_status("127.0.0.3"), "HTTP/1.1 200 OK");
  EXPECT_EQ(page_status("127.0.0.2"), "(closed unanswered)");
}

TEST_F(WebAdmissionTest, PendingRequestsHaveABoundInAllBesideTheOnePerAddress) {
  start_web();
  std::vector<std::unique_ptr<LineClient>> slow;
  for (std::size_t i = 0; i < kPendingInAll; ++i) {
    slow.push_back(slow_request("127.0.1." + std::to_string(10 + i / kPendingPerAddress)));
  }
  // Accepted after them all, the next one is past the bound in all, from
  // whatever address, though under the one per address.
  EXPECT_TRUE(slow_request("127.0.0.9")->wait_closed());
  EXPECT_EQ(page_status("127.0.2.1"), "(closed unanswered)");
}

}  // namespace
}  // namespace lochat::test
