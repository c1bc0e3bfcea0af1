#include "lochat/net/discovery.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace lochat::discovery {
namespace {

TEST(DiscoveryMessages, ReplyRoundTrips) {
  const std::string wire = format_reply({"Office chat", "", 4444, 3, 0, ""});
  EXPECT_EQ(wire, "LOCHAT-SERVER 1 port=4444 users=3 name=Office chat\n");
  const auto parsed = parse_reply(wire);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->name, "Office chat");
  EXPECT_EQ(parsed->port, 4444);
  EXPECT_EQ(parsed->users, 3U);
}

constexpr std::string_view kFingerprint =
    "B4:06:1C:16:50:B0:60:19:6D:78:90:9D:DF:2A:2C:5E:4A:89:A2:F1:FC:C7:E8:19:44:98:AB:B9:CB:61:15:"
    "73";

TEST(DiscoveryMessages, AReplyCarriesTheTlsPortAndTheFingerprint) {
  const std::string wire =
      format_reply({"Office chat", "", 4444, 3, 4445, std::string(kFingerprint)});
  EXPECT_EQ(wire, "LOCHAT-SERVER 1 port=4444 users=3 name=Office chat" + std::string(64 - 11, ' ') +
                      " tls=4445 sha256=" + std::string(kFingerprint) + "\n");
  const auto parsed = parse_reply(wire);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->name, "Office chat");
  EXPECT_EQ(parsed->tls_port, 4445);
  EXPECT_EQ(parsed->fingerprint, kFingerprint);
}

// The reply parser of clients before TLS (src/net/discovery.cpp at
// f5593ee^), as it was but for its number parsing: port= and users= first,
// then name= running to the end, of which it keeps 64 bytes.
struct OldReply {
  std::string port;
  std::string users;
  std::string name;
};
std::optional<OldReply> parse_like_clients_before_tls(std::string_view datagram) {
  constexpr std::string_view kPrefix = "LOCHAT-SERVER 1 ";
  if (datagram.size() > 512 || !datagram.starts_with(kPrefix)) return std::nullopt;
  std::string_view rest = datagram.substr(kPrefix.size());
  if (rest.ends_with('\n')) rest.remove_suffix(1);
  OldReply reply;
  for (auto [key, value] : {std::pair{"port=", &reply.port}, std::pair{"users=", &reply.users}}) {
    if (!rest.starts_with(key)) return std::nullopt;
    rest.remove_prefix(std::string_view(key).size());
    const auto end = rest.find(' ');
    *value = rest.substr(0, end);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
  }
  if (!rest.starts_with("name=")) return std::nullopt;
  reply.name = rest.substr(5, 64);
  return reply;
}

TEST(DiscoveryMessages, ClientsFromBeforeTlsReadANewReplyAsTheirOwn) {
  const std::string wire =
      format_reply({"Office chat", "", 4444, 3, 4445, std::string(kFingerprint), 4446});
  const auto old = parse_like_clients_before_tls(wire);
  ASSERT_TRUE(old) << wire;
  EXPECT_EQ(old->port, "4444");
  EXPECT_EQ(old->users, "3");
  // The name as they show it: padded with blanks, nothing of the newer fields.
  EXPECT_EQ(old->name, "Office chat" + std::string(64 - 11, ' '));
  const auto parsed = parse_reply(wire);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->name, "Office chat");
  EXPECT_EQ(parsed->tls_port, 4445);
  EXPECT_EQ(parsed->fingerprint, kFingerprint);
  EXPECT_EQ(parsed->web_port, 4446);
}

TEST(DiscoveryMessages, ANameOfFullLengthOrWithBlanksKeepsTheFieldsAfterIt) {
  const std::string full(64, 'n');
  const auto long_name = parse_reply(format_reply({full + "cut", "", 4444, 1, 0, "", 4446}));
  ASSERT_TRUE(long_name);
  EXPECT_EQ(long_name->name, full);
  EXPECT_EQ(long_name->web_port, 4446);
  const auto tricky = parse_reply(format_reply({"a tls=1 web=2", "", 4444, 1, 0, "", 4446}));
  ASSERT_TRUE(tricky);
  EXPECT_EQ(tricky->name, "a tls=1 web=2");
  EXPECT_EQ(tricky->web_port, 4446);
  EXPECT_FALSE(parse_reply("LOCHAT-SERVER 1 port=4444 users=3 name=" + full + "x web=4446"));
}

TEST(DiscoveryMessages, FieldsAClientDoesNotKnowAreSkipped) {
  const auto parsed = parse_reply("LOCHAT-SERVER 1 port=4444 users=3 future=yes tls=4445 sha256=" +
                                  std::string(kFingerprint) + " name=Office chat");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->tls_port, 4445);
  EXPECT_EQ(parsed->name, "Office chat");
}

// Found by the discovery fuzzer: "tls=1" alone parsed, and its round trip did not.
TEST(DiscoveryMessages, ATlsPortWithoutItsFingerprintOrAFingerprintAloneIsRejected) {
  EXPECT_FALSE(parse_reply("LOCHAT-SERVER 1 port=4444 users=3 tls=4445 name=x"));
  EXPECT_FALSE(parse_reply("LOCHAT-SERVER 1 port=4444 users=3 sha256=" + std::string(kFingerprint) +
                           " name=x"));
}

TEST(DiscoveryMessages, ABadTlsPortOrFingerprintIsRejected) {
  EXPECT_FALSE(parse_reply("LOCHAT-SERVER 1 port=4444 users=3 tls=0 name=x"));
  EXPECT_FALSE(parse_reply("LOCHAT-SERVER 1 port=4444 users=3 tls=x name=x"));
  EXPECT_FALSE(parse_reply("LOCHAT-SERVER 1 port=4444 users=3 sha256=AB:CD name=x"));
  EXPECT_FALSE(parse_reply("LOCHAT-SERVER 1 port=4444 users=3 sha256=" +
                           std::string(kFingerprint.size(), 'A') + " name=x"));
}

TEST(DiscoveryMessages, AReplyCarriesTheWebPortAndOlderOrNewerRepliesStillParse) {
  const std::string wire = format_reply({"Office chat", "", 4444, 3, 0, "", 4446});
  EXPECT_EQ(wire, "LOCHAT-SERVER 1 port=4444 users=3 name=Office chat" + std::string(64 - 11, ' ') +
                      " web=4446\n");
  EXPECT_EQ(parse_reply(wire)->web_port, 4446);
  const auto older = parse_reply("LOCHAT-SERVER 1 port=4444 users=3 name=Old one");
  ASSERT_TRUE(older);
  EXPECT_EQ(older->web_port, 0);
  const auto newer = parse_reply("LOCHAT-SERVER 1 port=4444 users=3 web=4446 tls=4445 sha256=" +
                                 std::string(kFingerprint) + " name=New");
  ASSERT_TRUE(newer);
  EXPECT_EQ(newer->web_port, 4446);
  EXPECT_EQ(newer->name, "New");
  EXPECT_FALSE(parse_reply("LOCHAT-SERVER 1 port=4444 users=3 web=4446"));
}

TEST(DiscoveryMessages, MalformedRepliesAreRejected) {
  EXPECT_FALSE(parse_reply("LOCHAT-SERVER 2 port=4444 users=3 name=x"));
  EXPECT_FALSE(parse_reply("LOCHAT-SERVER 1 port=0 users=3 name=x"));
  EXPECT_FALSE(parse_reply("LOCHAT-SERVER 1 port=70000 users=3 name=x"));
  EXPECT_FALSE(parse_reply("LOCHAT-SERVER 1 port=44a users=3 name=x"));
  EXPECT_FALSE(parse_reply("LOCHAT-SERVER 1 users=3 port=4444 name=x"));
  EXPECT_FALSE(parse_reply("LOCHAT-SERVER 1 port=4444 users=3"));
  EXPECT_FALSE(parse_reply(std::string(600, 'x')));
}

TEST(DiscoveryMessages, AServerNameFromTheNetworkIsCleanedOfEscapes) {
  // Any host on the LAN can answer: this one would retitle the window and clear the screen.
  const auto parsed =
      parse_reply("LOCHAT-SERVER 1 port=4444 users=1 name=evil\x1b]0;pwned\x07\x1b[2J\u202Eok");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->name, "evil]0;pwned[2Jok");
}

TEST(DiscoveryMessages, OnlyAVersionOneProbeIsAProbe) {
  EXPECT_TRUE(is_probe("LOCHAT-DISCOVER 1"));
  EXPECT_TRUE(is_probe("LOCHAT-DISCOVER 1\n"));
  EXPECT_FALSE(is_probe("LOCHAT-DISCOVER 2"));
  EXPECT_FALSE(is_probe("LOCHAT-DISCOVER 1 and more"));
  EXPECT_FALSE(is_probe(""));
}

TEST(DiscoveryInterfaces, NeverListsLoopbackAndEveryEntryHasABroadcastAddress) {
  for (const auto& interface : broadcast_interfaces()) {
    EXPECT_NE(interface.name, "lo");
    in_addr parsed{};
    EXPECT_EQ(::inet_pton(AF_INET, interface.broadcast.c_str(), &parsed), 1) << interface.broadcast;
    EXPECT_NE(interface.broadcast.rfind("127.", 0), 0U);
  }
}

// Probes go to 127.0.0.1 here (unicast); broadcast is tested between network namespaces.
class ResponderTest : public ::testing::Test {
 protected:
  std::optional<std::string> ask(std::string_view datagram) {
    FileDescriptor socket(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_in target{};
    target.sin_family = AF_INET;
    target.sin_port = htons(responder_.port());
    target.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::sendto(socket.get(), datagram.data(), datagram.size(), 0,
             reinterpret_cast<const sockaddr*>(&target), sizeof target);
    set_io_timeouts(socket, std::chrono::milliseconds(300));
    std::array<char, 600> buffer{};
    const auto received = ::recv(socket.get(), buffer.data(), buffer.size(), 0);
    if (received <= 0) return std::nullopt;
    return std::string(buffer.data(), static_cast<std::size_t>(received));
  }

  Responder responder_{"127.0.0.1", 0, "test server", 4321, [] { return std::size_t{7}; }};
};

TEST_F(ResponderTest, AnswersAProbeWithNamePortAndUsers) {
  EXPECT_EQ(ask("LOCHAT-DISCOVER 1\n"), "LOCHAT-SERVER 1 port=4321 users=7 name=test server\n");
}

TEST_F(ResponderTest, IgnoresMalformedAndOversizedProbes) {
  EXPECT_EQ(ask("hello?"), std::nullopt);
  EXPECT_EQ(ask(std::string(2000, 'L')), std::nullopt);
  EXPECT_TRUE(ask("LOCHAT-DISCOVER 1"));
}

TEST_F(ResponderTest, RateLimitsReplies) {
  int answered = 0;
  for (int i = 0; i < 40; ++i) {
    if (ask("LOCHAT-DISCOVER 1")) ++answered;
  }
  EXPECT_GE(answered, 20);
  EXPECT_LT(answered, 40);
}

}  // namespace
}  // namespace lochat::discovery
