// libFuzzer target: the line framer must give the same lines however the
// bytes are cut into reads, never a line with "\n" or over the limit, and
// never hold more than the limit.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "lochat/wire/framing.hpp"

namespace {

struct Output {
  std::vector<std::string> lines;
  int overlong = 0;
};

Output frame(std::string_view input, std::size_t max_line, std::size_t chunk) {
  lochat::LineFramer framer(max_line);
  Output out;
  for (std::size_t at = 0; at < input.size(); at += chunk) {
    framer.feed(
        input.substr(at, chunk),
        [&](std::string_view line) {
          if (line.find('\n') != std::string_view::npos || line.size() > max_line) std::abort();
          out.lines.emplace_back(line);
        },
        [&] { ++out.overlong; });
    if (framer.pending() > max_line + 1) std::abort();
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t max_line = 1 + data[0] % 64;
  const std::size_t chunk = 1 + data[1] % 17;
  const std::string_view input(reinterpret_cast<const char*>(data + 2), size - 2);
  const Output whole = frame(input, max_line, input.size() + 1);
  const Output pieces = frame(input, max_line, chunk);
  if (whole.lines != pieces.lines || whole.overlong != pieces.overlong) std::abort();
  return 0;
}
