#pragma once

// Two chat servers that are not lochat-server, small enough to run inside a
// test on 127.0.0.1: one that behaves like `ncat --chat` (each line relayed as
// "<userN> line", no acknowledgement, "<announce>" lines) and one that behaves
// like the original LoChat server (lochat-python.md: "Welcome to LoChat!" with
// no newline, "\nMessage Received" for each recv, "\nFrom IP: data" to the
// others). Each runs one thread that polls its sockets; the destructor stops
// and joins it. mutex_ guards heard_ (read by the test thread).
#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "lochat/net/socket.hpp"
#include "test_support.hpp"

namespace lochat::test {

class FakeChatServer {
 public:
  enum class Kind { ncat_chat, original };

  explicit FakeChatServer(Kind kind)
      : kind_(kind), listener_(listen_tcp("127.0.0.1", 0, 8)), thread_([this] { serve(); }) {}
  ~FakeChatServer() {
    stop_.store(true);
    thread_.join();
  }
  FakeChatServer(const FakeChatServer&) = delete;
  FakeChatServer& operator=(const FakeChatServer&) = delete;

  [[nodiscard]] std::uint16_t port() const { return local_port(listener_); }

  // Every byte any client has sent, in the order the server read it.
  [[nodiscard]] std::string heard() const {
    std::lock_guard lock(mutex_);
    return heard_;
  }

 private:
  struct Client {
    FileDescriptor socket;
    int number = 0;
    std::string partial;  // ncat relays whole lines
  };
  // The poll wakes this often to see whether the test is done.
  static constexpr int kPollMs = 20;

  void serve() {
    while (!stop_.load()) {
      std::vector<pollfd> watched{{listener_.get(), POLLIN, 0}};
      for (const auto& client : clients_) watched.push_back({client->socket.get(), POLLIN, 0});
      if (::poll(watched.data(), watched.size(), kPollMs) <= 0) continue;
      if (watched[0].revents != 0) accept_one();
      for (std::size_t i = watched.size() - 1; i > 0; --i) {
        if (watched[i].revents != 0) read_from(i - 1);
      }
    }
  }

  void accept_one() {
    FileDescriptor socket(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!socket.valid()) return;
    auto client = std::make_unique<Client>(Client{std::move(socket), next_number_++, {}});
    if (kind_ == Kind::original) {
      send_to(*client, "Welcome to LoChat!");
    } else {
      broadcast(*client, "<announce> 127.0.0.1 is connected as <user" +
                             std::to_string(client->number) + ">.\n");
    }
    clients_.push_back(std::move(client));
  }

  void read_from(std::size_t index) {
    Client& client = *clients_[index];
    std::array<char, 1024> buffer{};  // the original server's recv size
    const auto result = receive_some(client.socket, buffer);
    if (result.status == ReadResult::Status::would_block) return;
    if (result.status == ReadResult::Status::closed) {
      clients_.erase(clients_.begin() + static_cast<std::ptrdiff_t>(index));
      return;
    }
    const std::string data(buffer.data(), result.bytes);
    {
      std::lock_guard lock(mutex_);
      heard_ += data;
    }
    if (kind_ == Kind::original) {
      send_to(client, "\nMessage Received");
      broadcast(client, "\nFrom 127.0.0.1: " + data);
      return;
    }
    client.partial += data;
    for (auto end = client.partial.find('\n'); end != std::string::npos;
         end = client.partial.find('\n')) {
      broadcast(client,
                "<user" + std::to_string(client.number) + "> " + client.partial.substr(0, end + 1));
      client.partial.erase(0, end + 1);
    }
  }

  static void send_to(Client& client, std::string_view bytes) {
    send_all(client.socket, bytes, std::chrono::steady_clock::now() + kPatience);
  }

  void broadcast(const Client& from, std::string_view bytes) {
    for (auto& client : clients_) {
      if (client.get() != &from) send_to(*client, bytes);
    }
  }

  const Kind kind_;
  FileDescriptor listener_;
  std::vector<std::unique_ptr<Client>> clients_;  // the server thread's alone
  int next_number_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::string heard_;
  std::thread thread_;  // last: starts once everything it uses exists
};

}  // namespace lochat::test
