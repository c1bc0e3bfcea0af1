// lochat-bench's sending thread, on its own: each client's socket is one end
// of an AF_UNIX SOCK_SEQPACKET pair, which keeps every send() a record of its
// own, so the test sees exactly what each write carried (TCP would merge them);
// over TLS, of a stream pair, and the TLS records show the writes.
#include "bench_sender.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "lochat/bench.hpp"
#include "lochat/net/certificate.hpp"
#include "lochat/net/event_fd_wake.hpp"
#include "lochat/net/tls.hpp"

namespace lochat::bench {
namespace {

using namespace std::chrono_literals;

constexpr std::uint32_t kSendersRun = 0x5e4d0001;
constexpr std::size_t kSmallestMessage = kMinMessageSize;

// The clients' ends of their sockets, and the test's ends to read what they wrote.
struct SocketPairs {
  std::vector<std::unique_ptr<Link>> bench_ends;
  std::vector<FileDescriptor> test_ends;
};

SocketPairs socket_pairs(std::size_t clients, int type) {
  SocketPairs pairs;
  for (std::size_t client = 0; client < clients; ++client) {
    int ends[2] = {-1, -1};
    EXPECT_EQ(::socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, ends), 0);
    pairs.bench_ends.push_back(std::make_unique<Link>(FileDescriptor(ends[0])));
    pairs.test_ends.emplace_back(ends[1]);
    set_nonblocking(pairs.bench_ends.back()->socket());
  }
  return pairs;
}

// A config whose window holds every message, so the sender never waits for deliveries.
BenchConfig unhindered(std::size_t messages, std::size_t lines_per_write) {
  BenchConfig config;
  config.clients = 2;
  config.messages = messages;
  config.message_size = kSmallestMessage;
  config.window = messages;
  config.lines_per_write = lines_per_write;
  return config;
}

// Runs a Sender over `links` until every client has written all its messages.
std::vector<std::uint64_t> send_everything(const BenchConfig& config,
                                           std::span<const std::unique_ptr<Link>> links) {
  std::vector<PeerProgress> progress(links.size());
  const EventFdWake wake;
  const auto start = Clock::now();
  Sender sender(config, links, progress, wake, kSendersRun, start, start + 10s);
  sender.run(std::stop_token{});
  std::vector<std::uint64_t> sent;
  for (const auto& peer : progress) sent.push_back(peer.sent.load());
  return sent;
}

// Every record waiting on `socket`: what each send() carried.
std::vector<std::string> records(const FileDescriptor& socket) {
  std::vector<std::string> found;
  std::string buffer(64 * 1024, '\0');
  for (;;) {
    const auto got = ::recv(socket.get(), buffer.data(), buffer.size(), MSG_DONTWAIT);
    if (got <= 0) return found;
    found.emplace_back(buffer.data(), static_cast<std::size_t>(got));
  }
}

// The tokens of one write, in order; the write must be whole lines.
std::vector<Token> tokens_of(std::string_view write) {
  std::vector<Token> tokens;
  EXPECT_TRUE(write.ends_with('\n')) << write;
  while (!write.empty()) {
    const auto end = write.find('\n');
    if (end == std::string_view::npos) break;  // not whole lines: already a failure
    const auto found = find_token(write.substr(0, end), kSmallestMessage);
    EXPECT_EQ(found.status, TokenStatus::valid) << write.substr(0, end);
    tokens.push_back(found.token);
    write.remove_prefix(end + 1);
  }
  return tokens;
}

TEST(BenchSender, TheNextWriteWaitsUntilItsWholeCountMayGo) {
  EXPECT_EQ(lines_in_next_write(1, 100, 5), 1u);
  EXPECT_EQ(lines_in_next_write(1, 100, 0), 0u);
  EXPECT_EQ(lines_in_next_write(16, 100, 15), 0u);
  EXPECT_EQ(lines_in_next_write(16, 100, 16), 16u);
  EXPECT_EQ(lines_in_next_write(16, 100, 40), 16u);
}

TEST(BenchSender, AClientsLastWriteCarriesWhatIsLeft) {
  EXPECT_EQ(lines_in_next_write(16, 4, 4), 4u);
  EXPECT_EQ(lines_in_next_write(16, 4, 3), 0u);
}

TEST(BenchSender, ASenderWritesOneLinePerSendByDefault) {
  const auto config = unhindered(6, BenchConfig{}.lines_per_write);
  const auto pairs = socket_pairs(config.clients, SOCK_SEQPACKET);
  EXPECT_EQ(send_everything(config, pairs.bench_ends), (std::vector<std::uint64_t>{6, 6}));
  for (std::size_t client = 0; client < config.clients; ++client) {
    const auto writes = records(pairs.test_ends[client]);
    ASSERT_EQ(writes.size(), 6u) << "client " << client;
    for (std::uint64_t seq = 0; seq < writes.size(); ++seq) {
      const auto tokens = tokens_of(writes[seq]);
      ASSERT_EQ(tokens.size(), 1u) << writes[seq];
      EXPECT_EQ(tokens[0].sender, client);
      EXPECT_EQ(tokens[0].seq, seq);
    }
  }
}

// Each write is stamped when composed: client 1's k-th line is composed after
// client 0's k-th and before client 0's next, as people take turns in a room.
TEST(BenchSender, ClientsTakeTurnsOneWriteEach) {
  const auto config = unhindered(5, 1);
  const auto pairs = socket_pairs(config.clients, SOCK_SEQPACKET);
  send_everything(config, pairs.bench_ends);
  const auto first = records(pairs.test_ends[0]);
  const auto second = records(pairs.test_ends[1]);
  ASSERT_EQ(first.size(), 5u);
  ASSERT_EQ(second.size(), 5u);
  for (std::size_t k = 0; k < first.size(); ++k) {
    const auto mine = tokens_of(first[k]).at(0).send_ns;
    const auto theirs = tokens_of(second[k]).at(0).send_ns;
    EXPECT_LE(mine, theirs) << k;
    if (k + 1 < first.size()) {
      EXPECT_LE(theirs, tokens_of(first[k + 1]).at(0).send_ns) << k;
    }
  }
}

TEST(BenchSender, EachWriteCarriesLinesPerWriteAndTheLastOneTheRest) {
  const auto config = unhindered(7, 3);
  const auto pairs = socket_pairs(config.clients, SOCK_SEQPACKET);
  send_everything(config, pairs.bench_ends);
  for (const auto& test_end : pairs.test_ends) {
    std::vector<std::size_t> lines_per_record;
    for (const auto& write : records(test_end)) lines_per_record.push_back(tokens_of(write).size());
    EXPECT_EQ(lines_per_record, (std::vector<std::size_t>{3, 3, 1}));
  }
}

// Lines far larger than the socket's buffer are taken by the kernel in
// pieces; each is finished before the client's next line begins.
TEST(BenchSender, ALineTheKernelTakesInPiecesIsFinishedBeforeTheNext) {
  constexpr std::size_t kLarge = 60'000;  // within --size's limit, and 15 buffers' worth
  constexpr int kSmallBuffer = 4096;
  auto config = unhindered(4, 1);
  config.message_size = kLarge;
  const auto pairs = socket_pairs(config.clients, SOCK_STREAM);
  std::vector<std::string> streams(config.clients);
  {
    std::vector<std::jthread> readers;
    for (std::size_t client = 0; client < config.clients; ++client) {
      set_send_buffer(pairs.bench_ends[client]->socket(), kSmallBuffer);
      set_io_timeouts(pairs.test_ends[client], 10s);  // a sender that gave up ends the reader
      readers.emplace_back([&, client] {
        std::string buffer(kSmallBuffer, '\0');
        while (streams[client].size() < config.messages * (kLarge + 1)) {
          const auto got = ::recv(pairs.test_ends[client].get(), buffer.data(), buffer.size(), 0);
          if (got <= 0) return;
          streams[client].append(buffer.data(), static_cast<std::size_t>(got));
        }
      });
    }
    send_everything(config, pairs.bench_ends);
  }  // the readers have all they wait for, and are joined
  for (std::size_t client = 0; client < config.clients; ++client) {
    std::string_view stream = streams[client];
    for (std::uint64_t seq = 0; seq < config.messages; ++seq) {
      const auto end = stream.find('\n');
      const auto found = find_token(stream.substr(0, end), kLarge);
      ASSERT_EQ(found.status, TokenStatus::valid) << "client " << client << " line " << seq;
      EXPECT_EQ(found.token.seq, seq);
      stream.remove_prefix(end + 1);
    }
    EXPECT_TRUE(stream.empty());
  }
}

// --tls: the server's end of each pair completes a TLS handshake with the
// client's Link, then reads through TLS. OpenSSL's SSL_read returns one
// record's contents at most, so each read is what one record carried.
class TlsPairs {
 public:
  explicit TlsPairs(std::size_t clients)
      : directory_(std::filesystem::temp_directory_path() /
                   ("lochat-bench-tls-" + std::to_string(::getpid()))),
        pairs_(socket_pairs(clients, SOCK_STREAM)) {
    const auto files = tls::ensure_self_signed(directory_.string(), "bench test");
    server_context_.emplace(tls::Context::server(files.certificate, files.key));
    for (std::size_t client = 0; client < clients; ++client) {
      set_nonblocking(pairs_.test_ends[client]);
      pairs_.bench_ends[client]->start_tls(client_context_);
      servers_.push_back(std::make_unique<tls::Stream>(
          *server_context_, pairs_.test_ends[client].get(), tls::Stream::Role::accept));
    }
  }
  ~TlsPairs() { std::filesystem::remove_all(directory_); }
  TlsPairs(const TlsPairs&) = delete;
  TlsPairs& operator=(const TlsPairs&) = delete;

  // Both ends of every pair step through the handshake in turn until done.
  bool handshake() {
    const auto give_up = Clock::now() + 10s;
    for (std::size_t client = 0; client < servers_.size(); ++client) {
      auto& link = *pairs_.bench_ends[client];
      bool client_done = false;
      bool server_done = false;
      while (!(client_done && server_done) && Clock::now() < give_up) {
        client_done = client_done || link.handshake().status == tls::Stream::Io::Status::done;
        server_done =
            server_done || servers_[client]->handshake().status == tls::Stream::Io::Status::done;
        std::array<pollfd, 2> ends{
            {{link.fd(), POLLIN, 0}, {pairs_.test_ends[client].get(), POLLIN, 0}}};
        if (!(client_done && server_done)) ::poll(ends.data(), ends.size(), 10);
      }
      if (!(client_done && server_done)) return false;
    }
    return true;
  }

  [[nodiscard]] std::span<const std::unique_ptr<Link>> links() const { return pairs_.bench_ends; }

  // The contents of each record waiting from `client`, in order.
  std::vector<std::string> records(std::size_t client) {
    std::vector<std::string> found;
    std::string buffer(64 * 1024, '\0');
    while (true) {
      const auto io = servers_[client]->read(buffer);
      if (io.status != tls::Stream::Io::Status::done) return found;
      found.emplace_back(buffer.data(), io.bytes);
    }
  }

 private:
  std::filesystem::path directory_;
  tls::Context client_context_ = tls::Context::client();
  std::optional<tls::Context> server_context_;
  SocketPairs pairs_;
  std::vector<std::unique_ptr<tls::Stream>> servers_;
};

std::vector<std::size_t> lines_per_record(TlsPairs& pairs, std::size_t client) {
  std::vector<std::size_t> lines;
  for (const auto& record : pairs.records(client)) lines.push_back(tokens_of(record).size());
  return lines;
}

TEST(BenchSender, OverTlsEachLineIsOneRecordByDefault) {
  const auto config = unhindered(6, BenchConfig{}.lines_per_write);
  TlsPairs pairs(config.clients);
  ASSERT_TRUE(pairs.handshake());
  EXPECT_EQ(send_everything(config, pairs.links()), (std::vector<std::uint64_t>{6, 6}));
  for (std::size_t client = 0; client < config.clients; ++client) {
    EXPECT_EQ(lines_per_record(pairs, client), (std::vector<std::size_t>(6, 1)))
        << "client " << client;
  }
}

TEST(BenchSender, OverTlsEachWriteOfSeveralLinesIsOneRecord) {
  const auto config = unhindered(7, 3);
  TlsPairs pairs(config.clients);
  ASSERT_TRUE(pairs.handshake());
  send_everything(config, pairs.links());
  for (std::size_t client = 0; client < config.clients; ++client) {
    EXPECT_EQ(lines_per_record(pairs, client), (std::vector<std::size_t>{3, 3, 1}));
  }
}

}  // namespace
}  // namespace lochat::bench
