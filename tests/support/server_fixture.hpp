#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>

#include "lochat/server/server.hpp"
#include "test_support.hpp"

namespace lochat::test {

// Runs a real Server in this process on 127.0.0.1 with a kernel-chosen port.
class ServerFixture : public ::testing::Test {
 protected:
  void start(ServerConfig config = {}) {
    config.host = "127.0.0.1";
    config.port = 0;
    server_ = std::make_unique<Server>(config);
    runner_ = std::thread([this] { server_->run(); });
  }

  void TearDown() override {
    if (!server_) return;
    server_->stop();
    if (runner_.joinable()) runner_.join();
  }

  // A LineClient that has already read the greeting (the welcome and what the
  // server says of itself) and the list of who is online.
  // `source` is the client's own address (any 127.x: another machine to the server).
  std::unique_ptr<LineClient> join(const std::string& source = "127.0.0.1") {
    auto client = std::make_unique<LineClient>(LineClient::from(source, server_->port()));
    EXPECT_EQ(client->read_line(), "Welcome to LoChat!");
    const auto description = client->read_line();
    EXPECT_TRUE(description && description->starts_with("*** lochat-server protocol "))
        << description.value_or("(nothing)");
    const auto online = client->read_line();
    EXPECT_TRUE(online && online->starts_with("*** Online (")) << online.value_or("(nothing)");
    return client;
  }

  // A client that joined and took `name`.
  std::unique_ptr<LineClient> join_as(const std::string& name) {
    auto client = join();
    client->send_line("/nick " + name);
    EXPECT_EQ(client->read_line(), "*** You are now known as " + name);
    return client;
  }

  std::unique_ptr<Server> server_;
  std::thread runner_;
};

}  // namespace lochat::test
