#pragma once

// The fixture the Connection tests share: a connection on one end of a
// socket pair, the test's thread acting as its owner and as the client.

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <chrono>
#include <memory>
#include <string>

#include "lochat/server/connection.hpp"
#include "silent_participant.hpp"

namespace lochat {

// Stands in for the other clients who deliver lines; only its address matters.
using Sender = test::SilentParticipant;

struct ConnectionTest : ::testing::Test {
  ConnectionTest() {
    std::array<int, 2> ends{};
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends.data()), 0);
    server_end = FileDescriptor(ends[0]);
    client_end = FileDescriptor(ends[1]);
  }

  std::unique_ptr<Connection> open(std::size_t sendq_bytes, int send_buffer = 64 * 1024,
                                   std::chrono::milliseconds sendq_timeout = std::chrono::seconds{
                                       30}) {
    auto connection = std::make_unique<Connection>(
        std::move(server_end), Connection::Limits{sendq_bytes, sendq_timeout, nullptr}, wake);
    connection->prepare_socket(std::chrono::seconds{1}, send_buffer);
    return connection;
  }

  static Participant::Delivery deliver(Connection& connection, const std::string& line,
                                       const Participant& from) {
    const auto shared = make_shared_line(line);
    return connection.deliver(std::span(&shared, 1), &from, Participant::Audience::many);
  }

  // What the client end can read within `patience` (all of it, if it arrives in time).
  std::string read_client(std::size_t bytes_wanted,
                          std::chrono::milliseconds patience = std::chrono::seconds{5}) {
    std::string got;
    const auto deadline = std::chrono::steady_clock::now() + patience;
    std::array<char, 4096> buffer{};
    while (got.size() < bytes_wanted && std::chrono::steady_clock::now() < deadline) {
      pollfd readable{client_end.get(), POLLIN, 0};
      if (::poll(&readable, 1, 50) <= 0) continue;
      const auto n = ::recv(client_end.get(), buffer.data(), buffer.size(), MSG_DONTWAIT);
      if (n <= 0) break;
      got.append(buffer.data(), static_cast<std::size_t>(n));
    }
    return got;
  }

  [[nodiscard]] bool client_has_bytes() const {
    pollfd readable{client_end.get(), POLLIN, 0};
    return ::poll(&readable, 1, 0) > 0;
  }

  SignalWake wake;
  FileDescriptor server_end;
  FileDescriptor client_end;
  Sender alice;
  Sender bob;
};

}  // namespace lochat
