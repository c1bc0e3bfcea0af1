// Many TLS clients talking at once through a Server in this process, so
// that ThreadSanitizer (the tsan preset) watches the server's threads and
// the clients' SSL objects together.
#include <gtest/gtest.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "lochat/client/chat_client.hpp"
#include "server_fixture.hpp"

namespace lochat::test {
namespace {

// One lochat ChatClient over TLS (its input and receive threads share the
// SSL object), counting the chat lines it hears.
class TlsTalker {
 public:
  TlsTalker(const tls::Context& context, std::uint16_t port) {
    auto socket = connect_tcp("127.0.0.1", port);
    set_nonblocking(socket);
    auto stream = std::make_unique<tls::Stream>(context, socket.get(), tls::Stream::Role::connect);
    if (!stream->handshake_until(std::chrono::steady_clock::now() + kPatience)) {
      throw NetError("no TLS handshake");
    }
    fingerprint_ = stream->peer_fingerprint();
    client_ = std::make_unique<ChatClient>(
        std::move(socket), std::move(stream),
        ChatClient::Callbacks{[this](std::string_view line) { heard(line); }, {}});
  }

  ChatClient& client() { return *client_; }
  [[nodiscard]] const std::string& fingerprint() const { return fingerprint_; }
  bool wait_for_chat_lines(std::size_t count) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kPatience * 3, [&] { return chat_lines_ >= count; });
  }
  bool wait_for_welcome() {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kPatience, [&] { return welcomed_; });
  }

 private:
  void heard(std::string_view line) {
    {
      std::lock_guard lock(mutex_);
      welcomed_ = welcomed_ || line == "Welcome to LoChat!";
      if (line.starts_with("From ")) ++chat_lines_;
    }
    changed_.notify_all();
  }

  std::string fingerprint_;
  std::mutex mutex_;  // guards the two below, written by the receive thread
  std::condition_variable changed_;
  std::size_t chat_lines_ = 0;
  bool welcomed_ = false;
  std::unique_ptr<ChatClient> client_;  // last: its receive thread stops before the rest goes
};

class TlsConversation : public ServerFixture {
 protected:
  void SetUp() override {
    state_ = std::filesystem::temp_directory_path() /
             ("lochat-tls-conversation-" + std::to_string(::getpid()));
    ServerConfig config;
    config.tls.enabled = true;
    config.tls.state_directory = state_.string();
    config.session.rate = 0;  // everyone shares 127.0.0.1's allowance: no pacing here
    config.room.history_lines = 0;
    start(config);
  }
  void TearDown() override {
    ServerFixture::TearDown();
    std::filesystem::remove_all(state_);
  }

  std::filesystem::path state_;
};

TEST_F(TlsConversation, ManyTlsClientsTalkingAtOnceEachHearEveryLineOfTheOthers) {
  constexpr std::size_t kTalkers = 16;
  constexpr std::size_t kLinesEach = 25;
  const auto context = tls::Context::client();
  std::vector<std::unique_ptr<TlsTalker>> talkers;
  for (std::size_t i = 0; i < kTalkers; ++i) {
    talkers.push_back(std::make_unique<TlsTalker>(context, server_->tls_port()));
    ASSERT_EQ(talkers.back()->fingerprint(), server_->fingerprint());
  }
  auto plain = join();
  for (auto& talker : talkers) ASSERT_TRUE(talker->wait_for_welcome());
  // Each talker sends from a thread of its own while all receive.
  std::vector<std::thread> senders;
  for (std::size_t i = 0; i < kTalkers; ++i) {
    senders.emplace_back([&, i] {
      for (std::size_t line = 0; line < kLinesEach; ++line) {
        talkers[i]->client().send_line("line " + std::to_string(line) + " from " +
                                       std::to_string(i));
      }
    });
  }
  for (auto& sender : senders) sender.join();
  for (auto& talker : talkers) {
    EXPECT_TRUE(talker->wait_for_chat_lines((kTalkers - 1) * kLinesEach));
  }
  std::size_t plain_heard = 0;
  while (plain_heard < kTalkers * kLinesEach && plain->read_chat_line()) ++plain_heard;
  EXPECT_EQ(plain_heard, kTalkers * kLinesEach);
}

}  // namespace
}  // namespace lochat::test
