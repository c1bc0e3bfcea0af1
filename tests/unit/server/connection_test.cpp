#include "lochat/server/connection.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
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

#include "lochat/net/certificate.hpp"
#include "lochat/net/tls.hpp"
#include "silent_participant.hpp"

namespace lochat {
namespace {

using namespace std::chrono_literals;

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
                                   std::chrono::milliseconds sendq_timeout = 30s) {
    auto connection = std::make_unique<Connection>(
        std::move(server_end), Connection::Limits{sendq_bytes, sendq_timeout, nullptr}, wake);
    connection->prepare_socket(1000ms, send_buffer);
    return connection;
  }

  static Participant::Delivery deliver(Connection& connection, const std::string& line,
                                       const Participant& from) {
    const auto shared = make_shared_line(line);
    return connection.deliver(std::span(&shared, 1), &from, Participant::Audience::many);
  }

  // What the client end can read within `patience` (all of it, if it arrives in time).
  std::string read_client(std::size_t bytes_wanted, std::chrono::milliseconds patience = 5s) {
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

TEST_F(ConnectionTest, ADeliveryToAnIdleConnectionIsWrittenByTheDeliveringThread) {
  auto connection = open(64 * 1024);
  Participant::Delivery result{};
  std::thread sender([&] { result = deliver(*connection, "From alice: hi\n", alice); });
  sender.join();
  EXPECT_EQ(result, Participant::Delivery::done);
  EXPECT_EQ(read_client(15), "From alice: hi\n");
}

TEST_F(ConnectionTest, LinesFromTheSenderJustWrittenToAreNeverHeldBack) {
  auto connection = open(64 * 1024);
  EXPECT_EQ(deliver(*connection, "one\n", alice), Participant::Delivery::done);
  EXPECT_EQ(deliver(*connection, "two\n", alice), Participant::Delivery::done);
  EXPECT_EQ(read_client(8), "one\ntwo\n");
}

TEST_F(ConnectionTest, AnotherSendersLineRightAfterAWriteWaitsForItsFlush) {
  auto connection = open(64 * 1024);
  bool saw_held_back = false;
  // Held back only within the 2 ms window after a write: a slow run may miss
  // it, so try a bounded number of times.
  for (int attempt = 0; attempt < 50 && !saw_held_back; ++attempt) {
    if (deliver(*connection, "a\n", alice) == Participant::Delivery::held_back) {
      connection->flush_held();
    }
    ASSERT_EQ(read_client(2), "a\n");
    if (deliver(*connection, "b\n", bob) == Participant::Delivery::held_back) {
      saw_held_back = true;
      EXPECT_FALSE(client_has_bytes()) << "a held-back line went out before its flush";
      connection->flush_held();
    }
    ASSERT_EQ(read_client(2), "b\n");
  }
  EXPECT_TRUE(saw_held_back);
}

TEST_F(ConnectionTest, AClientThatStopsReadingOverflowsItsQueueWithItsOwnReplies) {
  auto connection = open(16 * 1024, 4 * 1024);
  const std::string line(1000, 'x');
  auto health = Connection::Health::open;
  for (int sent = 0; sent < 10'000 && health == Connection::Health::open; ++sent) {
    connection->queue_own_line(line + "\n");
    health = connection->write_due();
  }
  EXPECT_EQ(health, Connection::Health::overflowed);
}

TEST_F(ConnectionTest, AClientFarBehindOnSharedLinesOverflowsByTheirSlots) {
  constexpr std::size_t kSlots = 100;
  auto connection = open(kSlots * kSharedLineSlotBytes, 4 * 1024);
  const std::string line(1000, 'x');
  auto health = Connection::Health::open;
  int sent = 0;
  for (; sent < 10'000 && health == Connection::Health::open; ++sent) {
    deliver(*connection, line + "\n", alice);
    health = connection->write_due();
  }
  EXPECT_EQ(health, Connection::Health::overflowed);
  EXPECT_GT(sent, static_cast<int>(kSlots)) << "more than the slots: some were written";
}

TEST_F(ConnectionTest, AClientThatTakesNoByteForTheTimeoutHasStalled) {
  auto connection = open(64 * 1024 * 1024, 4 * 1024, 200ms);
  const std::string line(1000, 'x');
  for (int sent = 0; sent < 10'000 && !connection->waits_for_socket(); ++sent) {
    deliver(*connection, line + "\n", alice);
    ASSERT_EQ(connection->write_due(), Connection::Health::open);
  }
  ASSERT_TRUE(connection->waits_for_socket());
  const auto stalled_at = connection->stalled_at();
  EXPECT_LE(stalled_at, std::chrono::steady_clock::now() + 200ms);
  while (std::chrono::steady_clock::now() < stalled_at) {
    pollfd writable{connection->socket().get(), POLLOUT, 0};
    ::poll(&writable, 1, 50);
  }
  EXPECT_EQ(connection->write_due(), Connection::Health::stalled);
}

TEST_F(ConnectionTest, AReaderThatKeepsTakingBytesNeverStalls) {
  auto connection = open(64 * 1024 * 1024, 4 * 1024, 200ms);
  const std::string line(1000, 'x');
  const auto until = std::chrono::steady_clock::now() + 1s;
  bool fell_behind = false;
  std::array<char, 500> sip{};
  while (std::chrono::steady_clock::now() < until) {
    deliver(*connection, line + "\n", alice);
    ASSERT_EQ(connection->write_due(), Connection::Health::open);
    fell_behind = fell_behind || connection->waits_for_socket();
    // Half a line read per line sent: slower than the sender, never stopping.
    pollfd readable{client_end.get(), POLLIN, 0};
    if (::poll(&readable, 1, 1) > 0) ::recv(client_end.get(), sip.data(), sip.size(), 0);
  }
  EXPECT_TRUE(fell_behind) << "the reader never fell behind";
}

TEST_F(ConnectionTest, AnEvictedConnectionReportsIt) {
  auto connection = open(64 * 1024);
  connection->evict();
  EXPECT_EQ(connection->write_due(), Connection::Health::evicted);
}

TEST_F(ConnectionTest, LinesLeftForAFullSocketAreWrittenByTheOwnerOnceItDrains) {
  auto connection = open(4 * 1024 * 1024, 4 * 1024);
  const std::string line(1000, 'y');
  int delivered = 0;
  while (delivered < 2000 && !connection->waits_for_socket()) {
    deliver(*connection, line + "\n", alice);
    ++delivered;
    connection->write_due();
  }
  ASSERT_TRUE(connection->waits_for_socket());
  deliver(*connection, "last\n", alice);
  const std::size_t total = static_cast<std::size_t>(delivered) * (line.size() + 1) + 5;
  std::string got;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (got.size() < total && std::chrono::steady_clock::now() < deadline) {
    got += read_client(total - got.size(), 50ms);
    EXPECT_EQ(connection->write_due(), Connection::Health::open);
  }
  ASSERT_EQ(got.size(), total);
  EXPECT_TRUE(got.ends_with(line + "\nlast\n"));
  EXPECT_FALSE(connection->has_queued());
}

TEST_F(ConnectionTest, DrainingWritesWhatIsQueuedThenHalfCloses) {
  auto connection = open(64 * 1024);
  connection->queue_own_line(std::string("Welcome to LoChat!\n"));
  connection->queue_own_line(std::string("*** Server is shutting down\n"));
  connection->start_closing();
  EXPECT_EQ(connection->drain_and_half_close(std::chrono::steady_clock::now() + 1s),
            Connection::Health::open);
  EXPECT_EQ(read_client(1000, 2s), "Welcome to LoChat!\n*** Server is shutting down\n");
  std::array<char, 16> buffer{};
  EXPECT_EQ(::recv(client_end.get(), buffer.data(), buffer.size(), 0), 0) << "no end of stream";
}

TEST_F(ConnectionTest, AClosedConnectionTakesNoMoreWrites) {
  auto connection = open(64 * 1024);
  connection->close();
  deliver(*connection, "late\n", alice);
  EXPECT_EQ(connection->write_due(), Connection::Health::failed);
  std::array<char, 16> buffer{};
  EXPECT_EQ(::recv(client_end.get(), buffer.data(), buffer.size(), 0), 0) << "bytes after close";
}

// A connection from the TLS port, its client end a tls::Stream of the test's.
// Only the test's thread acts as the owner: it alone calls write_due().
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
