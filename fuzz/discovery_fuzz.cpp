// libFuzzer target: discovery replies, which any host on the LAN can send.
// A reply that parses has a usable port and a name that is already clean
// (printable UTF-8: cleaning it again changes nothing), and survives a round
// trip through format_reply with every field it knows (the new fields after
// the padded name, where clients from before TLS do not read them).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "lochat/net/discovery.hpp"
#include "lochat/wire/text.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view datagram(reinterpret_cast<const char*>(data), size);
  const auto reply = lochat::discovery::parse_reply(datagram);
  if (!reply) return 0;
  if (reply->port == 0) std::abort();
  if (lochat::text::sanitize(reply->name) != reply->name) std::abort();
  for (const char byte : reply->name) {
    const auto value = static_cast<unsigned char>(byte);
    if ((value < 0x20 && value != '\t') || value == 0x7F) std::abort();
  }
  const auto again = lochat::discovery::parse_reply(lochat::discovery::format_reply(*reply));
  if (!again || again->port != reply->port || again->users != reply->users ||
      again->tls_port != reply->tls_port || again->fingerprint != reply->fingerprint ||
      again->web_port != reply->web_port) {
    std::abort();
  }
  return 0;
}
