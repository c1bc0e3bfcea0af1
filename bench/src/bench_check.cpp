// lochat-bench's checking half: the token each line carries, the checker of
// every delivery, and the latency histogram. No I/O.
#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <iterator>

#include "lochat/bench.hpp"

namespace lochat::bench {

using std::chrono::nanoseconds;

namespace {

constexpr std::string_view kTokenMark = "LB|";
constexpr char kFieldSeparator = '|';

// Padding is the alphabet from a letter that depends on the sequence number,
// so a line shifted or spliced from another message does not match. Any run
// of it is a substring of "abc...zabc...", compared with one memcmp.
constexpr std::uint64_t kLetters = 26;
constexpr std::size_t kAlphabetRun = 8192;

std::string_view repeated_alphabet() {
  static const std::string letters = [] {
    std::string text;
    for (std::size_t i = 0; i < kLetters + kAlphabetRun; ++i) {
      text.push_back(static_cast<char>('a' + i % kLetters));
    }
    return text;
  }();
  return letters;
}

// `length` (at most kAlphabetRun) bytes of the padding, from `offset` into it.
std::string_view expected_padding(std::uint64_t seq, std::size_t offset, std::size_t length) {
  return repeated_alphabet().substr((seq + offset) % kLetters, length);
}

bool padding_matches(std::string_view padding, std::uint64_t seq) {
  for (std::size_t offset = 0; offset < padding.size(); offset += kAlphabetRun) {
    const auto piece = padding.substr(offset, kAlphabetRun);
    if (piece != expected_padding(seq, offset, piece.size())) return false;
  }
  return true;
}

// Takes one "<number>|" field off the front of `rest`.
template <typename Number>
bool take_field(std::string_view& rest, Number& value, int base) {
  const auto end = rest.find(kFieldSeparator);
  if (end == std::string_view::npos || end == 0) return false;
  const char* last = rest.data() + end;
  const auto [stop, error] = std::from_chars(rest.data(), last, value, base);
  if (error != std::errc{} || stop != last) return false;
  rest.remove_prefix(end + 1);
  return true;
}

// Where the last token mark starts: a server's prefix may contain anything,
// our padding never contains "|". An intact token is exactly the line's last
// message_size bytes, so that place is tried before any search.
std::size_t last_mark(std::string_view line, std::size_t message_size) {
  if (line.size() >= message_size &&
      line.substr(line.size() - message_size).starts_with(kTokenMark)) {
    return line.size() - message_size;
  }
  const auto last_separator = line.rfind(kFieldSeparator);
  if (last_separator == std::string_view::npos) return std::string_view::npos;
  return line.rfind(kTokenMark, last_separator);
}

}  // namespace

// --- Token ------------------------------------------------------------------

void append_line(std::string& out, const Token& token, std::size_t message_size) {
  const auto start = out.size();
  fmt::format_to(std::back_inserter(out), "LB|{:08x}|{}|{}|{}|", token.run, token.sender, token.seq,
                 token.send_ns);
  const std::size_t header = out.size() - start;
  for (std::size_t offset = 0; header + offset < message_size; offset += kAlphabetRun) {
    out.append(expected_padding(token.seq, offset,
                                std::min(kAlphabetRun, message_size - header - offset)));
  }
  out.push_back('\n');
}

FoundToken find_token(std::string_view line, std::size_t message_size) {
  const auto start = last_mark(line, message_size);
  if (start == std::string_view::npos) return {};
  FoundToken found{TokenStatus::malformed, {}};
  auto& token = found.token;
  auto rest = line.substr(start + kTokenMark.size());
  constexpr int kHex = 16;
  constexpr int kDecimal = 10;
  const bool fields_read =
      take_field(rest, token.run, kHex) && take_field(rest, token.sender, kDecimal) &&
      take_field(rest, token.seq, kDecimal) && take_field(rest, token.send_ns, kDecimal);
  if (fields_read && line.size() - start == message_size && padding_matches(rest, token.seq)) {
    found.status = TokenStatus::valid;
  }
  return found;
}

// --- DeliveryChecker --------------------------------------------------------

DeliveryChecker::DeliveryChecker(std::size_t clients, std::uint64_t messages_per_client,
                                 std::uint32_t run)
    : clients_(clients),
      messages_(messages_per_client),
      run_(run),
      next_seq_(clients * clients, 0) {}

std::size_t DeliveryChecker::pair_index(std::size_t receiver, std::size_t sender) const {
  return receiver * clients_ + sender;
}

std::uint64_t DeliveryChecker::gap_key(std::size_t pair, std::uint64_t seq) const {
  return pair * messages_ + seq;
}

std::uint64_t DeliveryChecker::expected_total() const {
  return clients_ * (clients_ - 1) * messages_;
}

DeliveryChecker::Verdict DeliveryChecker::record(std::size_t receiver, const Token& token) {
  if (token.run != run_) {
    ++counts_.foreign;
    return Verdict::foreign;
  }
  if (token.sender >= clients_ || token.seq >= messages_ || receiver >= clients_) {
    ++counts_.corrupted;
    return Verdict::corrupt;
  }
  if (token.sender == receiver) {
    ++counts_.echoed;
    return Verdict::echo;
  }
  const auto pair = pair_index(receiver, token.sender);
  auto& next = next_seq_[pair];
  if (token.seq >= next) {
    for (auto skipped = next; skipped < token.seq; ++skipped) gaps_.insert(gap_key(pair, skipped));
    next = token.seq + 1;
    ++counts_.delivered;
    return Verdict::delivered;
  }
  if (gaps_.erase(gap_key(pair, token.seq)) > 0) {
    ++counts_.reordered;
    ++counts_.delivered;
    return Verdict::late;
  }
  ++counts_.duplicated;
  return Verdict::duplicate;
}

void DeliveryChecker::settle(std::span<const std::uint64_t> sent) {
  std::uint64_t lost = gaps_.size();
  for (std::size_t receiver = 0; receiver < clients_; ++receiver) {
    for (std::size_t sender = 0; sender < clients_ && sender < sent.size(); ++sender) {
      const auto reached = next_seq_[pair_index(receiver, sender)];
      if (sender != receiver && sent[sender] > reached) lost += sent[sender] - reached;
    }
  }
  counts_.lost = lost;
}

// --- LatencyHistogram -------------------------------------------------------

std::size_t LatencyHistogram::bucket_of(std::uint64_t value) {
  if (value < kSubBuckets) return static_cast<std::size_t>(value);
  const auto shift = static_cast<std::size_t>(std::bit_width(value)) - 1 - kSubBits;
  const auto top = static_cast<std::size_t>(value >> shift);  // kSubBuckets .. 2*kSubBuckets-1
  return (shift + 1) * kSubBuckets + (top - kSubBuckets);
}

std::uint64_t LatencyHistogram::bucket_middle(std::size_t bucket) {
  if (bucket < kSubBuckets) return bucket;
  const auto shift = bucket / kSubBuckets - 1;
  const auto top = std::uint64_t{kSubBuckets + bucket % kSubBuckets};
  return (top << shift) + ((std::uint64_t{1} << shift) >> 1);
}

void LatencyHistogram::record(nanoseconds latency) {
  const auto value = static_cast<std::uint64_t>(std::max<std::int64_t>(latency.count(), 0));
  ++counts_[bucket_of(value)];
  ++count_;
  max_ = std::max(max_, value);
}

nanoseconds LatencyHistogram::percentile(double fraction) const {
  if (count_ == 0) return nanoseconds(0);
  const auto wanted = static_cast<double>(count_) * fraction;
  const auto rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(wanted)));
  std::uint64_t seen = 0;
  for (std::size_t bucket = 0; bucket < kBuckets; ++bucket) {
    seen += counts_[bucket];
    if (seen >= rank) {
      return nanoseconds(static_cast<std::int64_t>(std::min(bucket_middle(bucket), max_)));
    }
  }
  return max();
}

}  // namespace lochat::bench
