// libFuzzer target: the client-line parser, the name rules and the sanitiser.
// Sanitised text must be printable UTF-8 (sanitising it again changes nothing)
// and parsing must stay inside the input; a server's self-description reads
// back as finite limits.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "lochat/wire/protocol.hpp"
#include "lochat/wire/server_line.hpp"
#include "lochat/wire/text.hpp"

namespace {

bool inside(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  const std::string clean = lochat::text::sanitize(input);
  if (lochat::text::sanitize(clean) != clean) std::abort();
  for (const char byte : clean) {
    const auto value = static_cast<unsigned char>(byte);
    if ((value < 0x20 && value != '\t') || value == 0x7F) std::abort();
  }

  const auto parsed = lochat::protocol::parse_client_line(clean);
  if (!inside(parsed.text, clean) || !inside(parsed.command, clean) ||
      !inside(parsed.argument, clean)) {
    std::abort();
  }

  if (!lochat::text::name_problem(input)) {
    const std::string folded = lochat::text::fold_name(input);
    if (lochat::text::fold_name(folded) != folded) std::abort();
  }

  const auto server_line = lochat::protocol::classify(clean);
  if (!inside(server_line.text, clean) || !inside(server_line.sender, clean) ||
      !inside(server_line.subject, clean) || !inside(server_line.detail, clean) ||
      !inside(server_line.clock_time, clean)) {
    std::abort();
  }

  // A server's self-description is read back as limits a client can pace by,
  // and what it says survives being written out and read again.
  if (const auto described = lochat::protocol::describe(clean)) {
    if (!(described->rate >= 0) || described->rate > 1e308) std::abort();
    std::string again = lochat::protocol::self_description(*described);
    again.pop_back();
    const auto reread = lochat::protocol::describe(again);
    if (!reread || lochat::protocol::self_description(*reread) != again + "\n") std::abort();
  }
  return 0;
}
