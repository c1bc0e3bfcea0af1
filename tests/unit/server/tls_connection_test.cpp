#include <fmt/format.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "connection_fixture.hpp"
#include "lochat/net/certificate.hpp"
#include "lochat/net/tls.hpp"

namespace lochat {
namespace {

using namespace std::chrono_literals;

struct TlsConnectionTest : ConnectionTest {
  TlsConnectionTest()
      : directory(std::filesystem::temp_directory_path() /
                  ("lochat-connection-tls-" + std::to_string(::getpid()))) {
    const auto files = tls::ensure_self_signed(directory.string(), "connection test");
    server_context.emplace(tls::Context::server(files.certificate, files.key));
  }
  ~TlsConnectionTest() override { std::filesystem::remove_all(directory); }

  std::unique_ptr<Connection> open_tls() {
    auto connection = std::make_unique<Connection>(
        std::move(server_end), Connection::Limits{64 * 1024, 30s, nullptr}, wake, &*server_context);
    client.emplace(client_context, client_end.get(), tls::Stream::Role::connect);
    set_nonblocking(client_end);
    std::thread handshaking(
        [this] { client->handshake_until(std::chrono::steady_clock::now() + 5s); });
    EXPECT_EQ(connection->prepare_socket(1000ms, 64 * 1024), Connection::Start::ready);
    handshaking.join();
    return connection;
  }

  // The next TLS record the client receives, decrypted ("" if none within `patience`).
  std::string next_record(std::chrono::milliseconds patience = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + patience;
    std::array<char, 32 * 1024> buffer{};
    while (std::chrono::steady_clock::now() < deadline) {
      const auto io = client->read(buffer);
      if (io.status == tls::Stream::Io::Status::done) return {buffer.data(), io.bytes};
      if (io.status != tls::Stream::Io::Status::would_block) return "";
      tls::wait_for(client_end.get(), io.wait, 50ms);
    }
    return "";
  }

  std::filesystem::path directory;
  std::optional<tls::Context> server_context;
  tls::Context client_context = tls::Context::client();
  std::optional<tls::Stream> client;
};

// A sender writes to an idle TLS client itself, encrypting in place, as it
// writes to a plain one: no wake-up of the owner's thread, no write_due().
TEST_F(TlsConnectionTest, ADeliveryToAnIdleTlsClientIsEncryptedAndWrittenByTheDeliveringThread) {
  auto connection = open_tls();
  Participant::Delivery result{};
  std::thread sender([&] { result = deliver(*connection, "From alice: hi\n", alice); });
  sender.join();
  EXPECT_EQ(result, Participant::Delivery::done);
  EXPECT_EQ(next_record(), "From alice: hi\n");
}

TEST_F(TlsConnectionTest, LinesFromTheSenderJustWrittenToGoOutAtOnceOverTlsToo) {
  auto connection = open_tls();
  EXPECT_EQ(deliver(*connection, "one\n", alice), Participant::Delivery::done);
  EXPECT_EQ(next_record(), "one\n");
  EXPECT_EQ(deliver(*connection, "two\n", alice), Participant::Delivery::done);
  EXPECT_EQ(next_record(), "two\n");
}

// A client writing a line per record (as TLS chat clients do) has every
// record that has arrived read at once, as recv() reads every line in clear:
// one read, one broadcast, not one per line.
TEST_F(TlsConnectionTest, OneReadTakesEveryRecordThatHasArrived) {
  auto connection = open_tls();
  for (const std::string_view line : {"one\n", "two\n", "three\n"}) {
    ASSERT_EQ(client->write(line).bytes, line.size());
  }
  std::array<char, 16 * 1024> buffer{};
  pollfd readable{connection->socket().get(), POLLIN, 0};
  ASSERT_EQ(::poll(&readable, 1, 5000), 1);
  const auto result = connection->read_some(buffer);
  ASSERT_EQ(result.status, ReadResult::Status::data);
  EXPECT_EQ(std::string_view(buffer.data(), result.bytes), "one\ntwo\nthree\n");
}

// A TLS client written to a few milliseconds ago, past the plain window, is
// in a busy room: another sender's line waits for the scheduler's flush, to
// share a record with what comes meanwhile (a plain client is written at once).
TEST_F(TlsConnectionTest, AnotherSendersLineSoonAfterTheWindowWaitsForTheFlush) {
  auto connection = open_tls();
  bool saw_held_back = false;
  // Between the 2 ms window and the 10 ms horizon: a slow run may overshoot, so retry.
  for (int attempt = 0; attempt < 50 && !saw_held_back; ++attempt) {
    if (deliver(*connection, "a\n", alice) == Participant::Delivery::held_back) {
      connection->flush_held();
    }
    ASSERT_EQ(next_record(), "a\n");
    const auto past_the_window = std::chrono::steady_clock::now() + 3ms;
    while (std::chrono::steady_clock::now() < past_the_window) {
    }
    saw_held_back = deliver(*connection, "b\n", bob) == Participant::Delivery::held_back;
    if (saw_held_back) connection->flush_held();
    ASSERT_EQ(next_record(), "b\n");
  }
  EXPECT_TRUE(saw_held_back);
}

// Senders write in place while the owner's thread reads and the client both
// reads and writes: the SSL object is used under the write lock alone, so
// ThreadSanitizer (tls::Stream counts its calls) sees no two threads in it,
// and every line arrives, each sender's in order.
TEST_F(TlsConnectionTest, SendersWritingWhileTheOwnerReadsShareTheTlsObjectSafely) {
  constexpr std::size_t kSenders = 4;
  constexpr int kLinesEach = 200;
  constexpr int kClientLines = 200;
  auto connection = open_tls();
  std::array<Sender, kSenders> senders;
  std::atomic<std::size_t> senders_done{0};
  std::vector<std::thread> threads;
  for (std::size_t who = 0; who < kSenders; ++who) {
    threads.emplace_back([&, who] {
      for (int line = 0; line < kLinesEach; ++line) {
        if (deliver(*connection, fmt::format("{} {}\n", who, line), senders[who]) ==
            Participant::Delivery::held_back) {
          connection->flush_held();
        }
      }
      ++senders_done;
    });
  }
  std::size_t owner_read = 0;
  const std::size_t client_bytes = kClientLines * std::string_view("typed\n").size();
  std::thread owner([&] {
    std::array<char, 4096> buffer{};
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (
        (owner_read < client_bytes || senders_done.load() < kSenders || connection->has_queued()) &&
        std::chrono::steady_clock::now() < deadline) {
      pollfd watched{connection->socket().get(), POLLIN, 0};
      ::poll(&watched, 1, 10);
      const auto result = connection->read_some(buffer);
      if (result.status == ReadResult::Status::data) owner_read += result.bytes;
      if (connection->write_due() != Connection::Health::open) return;
    }
  });
  std::string received;
  int typed = 0;
  const std::size_t expected = [&] {
    std::size_t bytes = 0;
    for (std::size_t who = 0; who < kSenders; ++who) {
      for (int line = 0; line < kLinesEach; ++line)
        bytes += fmt::format("{} {}\n", who, line).size();
    }
    return bytes;
  }();
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  std::array<char, 32 * 1024> buffer{};
  while (received.size() < expected && std::chrono::steady_clock::now() < deadline) {
    if (typed < kClientLines && client->write("typed\n").status == tls::Stream::Io::Status::done) {
      ++typed;
    }
    const auto io = client->read(buffer);
    if (io.status == tls::Stream::Io::Status::done) {
      received.append(buffer.data(), io.bytes);
    } else if (io.status == tls::Stream::Io::Status::would_block) {
      tls::wait_for(client_end.get(), tls::Stream::Wait::readable, 10ms);
    } else {
      break;
    }
  }
  while (typed < kClientLines && std::chrono::steady_clock::now() < deadline) {
    const auto io = client->write("typed\n");
    if (io.status == tls::Stream::Io::Status::done) {
      ++typed;
    } else if (io.status == tls::Stream::Io::Status::would_block) {
      tls::wait_for(client_end.get(), io.wait, 10ms);
    } else {
      break;
    }
  }
  for (auto& thread : threads) thread.join();
  owner.join();
  EXPECT_EQ(owner_read, client_bytes);
  ASSERT_EQ(received.size(), expected);
  std::array<int, kSenders> next_of{};
  std::istringstream lines(received);
  std::size_t who = 0;
  for (int line = 0; lines >> who >> line;) {
    ASSERT_LT(who, kSenders);
    EXPECT_EQ(line, next_of[who]++) << "sender " << who << "'s lines out of order";
  }
}

}  // namespace
}  // namespace lochat
