#include "raw_web_client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <stdexcept>

namespace lochat::test {

namespace {

using Clock = std::chrono::steady_clock;

// RFC 6455's own example key, and the answer section 1.3 gives for it.
constexpr std::string_view kKey = "dGhlIHNhbXBsZSBub25jZQ==";
constexpr std::string_view kAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
constexpr std::array<unsigned char, 4> kMask{0x37, 0xfa, 0x21, 0x3d};
constexpr std::size_t kShortLength = 125;
constexpr std::size_t kTwoByteLength = 126;
constexpr std::size_t kEightByteLength = 127;

// Appends what arrives within the deadline; false at the end of the stream or the deadline.
bool read_more(int fd, std::string& buffer, Clock::time_point deadline) {
  pollfd readable{fd, POLLIN, 0};
  if (::poll(&readable, 1, millis_left(deadline)) <= 0) return false;
  std::array<char, 16384> chunk{};
  const auto got = ::recv(fd, chunk.data(), chunk.size(), 0);
  if (got <= 0) return false;
  buffer.append(chunk.data(), static_cast<std::size_t>(got));
  return true;
}

void send_or_throw(const FileDescriptor& socket, std::string_view bytes) {
  if (!send_all(socket, bytes, Clock::now() + kPatience)) {
    throw std::runtime_error("raw web client: send failed");
  }
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

std::string http_exchange(std::uint16_t port, std::string_view request,
                          std::chrono::milliseconds timeout) {
  auto socket = connect_tcp("127.0.0.1", port);
  send_or_throw(socket, request);
  std::string response;
  const auto deadline = Clock::now() + timeout;
  while (read_more(socket.get(), response, deadline)) {
  }
  return response;
}

std::string http_get(std::uint16_t port, std::string_view target) {
  return http_exchange(port, "GET " + std::string(target) + " HTTP/1.1\r\nHost: 127.0.0.1:" +
                                 std::to_string(port) + "\r\n\r\n");
}

std::string header_of(const std::string& response, std::string_view name) {
  const auto head = lower(response.substr(0, response.find("\r\n\r\n")));
  const auto at = head.find("\r\n" + lower(name) + ":");
  if (at == std::string::npos) return "";
  const auto start = response.find_first_not_of(' ', at + 3 + name.size());
  return response.substr(start, response.find("\r\n", start) - start);
}

int status_of(const std::string& response) {
  if (!response.starts_with("HTTP/1.1 ") || response.size() < 12) return 0;
  return std::stoi(response.substr(9, 3));
}

int Frame::close_code() const {
  if (payload.size() < 2) return 0;
  return (static_cast<unsigned char>(payload[0]) << 8) | static_cast<unsigned char>(payload[1]);
}

std::string upgrade_request(std::uint16_t port, const Upgrade& upgrade) {
  const std::string host =
      upgrade.host.empty() ? "127.0.0.1:" + std::to_string(port) : upgrade.host;
  std::string request = "GET " + upgrade.target + " HTTP/1.1\r\nHost: " + host +
                        "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " +
                        std::string(kKey) + "\r\n";
  if (!upgrade.origin.empty()) request += "Origin: " + upgrade.origin + "\r\n";
  return request + "\r\n";
}

std::string encode_frame(int opcode, std::string_view payload, bool fin, bool masked) {
  std::string frame;
  frame.push_back(static_cast<char>((fin ? 0x80 : 0) | opcode));
  const char mask_bit = masked ? static_cast<char>(0x80) : 0;
  const std::size_t size = payload.size();
  if (size <= kShortLength) {
    frame.push_back(static_cast<char>(mask_bit | static_cast<char>(size)));
  } else if (size <= 0xffff) {
    frame.push_back(static_cast<char>(mask_bit | static_cast<char>(kTwoByteLength)));
    frame.push_back(static_cast<char>(size >> 8));
    frame.push_back(static_cast<char>(size & 0xff));
  } else {
    frame.push_back(static_cast<char>(mask_bit | static_cast<char>(kEightByteLength)));
    for (int shift = 56; shift >= 0; shift -= 8) {
      frame.push_back(static_cast<char>((size >> shift) & 0xff));
    }
  }
  if (masked) frame.append(reinterpret_cast<const char*>(kMask.data()), kMask.size());
  for (std::size_t i = 0; i < size; ++i) {
    const auto byte = static_cast<unsigned char>(payload[i]);
    frame.push_back(static_cast<char>(masked ? byte ^ kMask[i % kMask.size()] : byte));
  }
  return frame;
}

RawWebSocket::RawWebSocket(std::uint16_t port, const Upgrade& upgrade)
    : socket_(upgrade.stalling ? connect_stalling(port) : connect_tcp("127.0.0.1", port)) {
  send_or_throw(socket_, upgrade_request(port, upgrade));
  const auto deadline = Clock::now() + kPatience;
  while (buffer_.find("\r\n\r\n") == std::string::npos) {
    if (!read_more(socket_.get(), buffer_, deadline)) break;
  }
  const auto end = buffer_.find("\r\n\r\n");
  const std::string head = buffer_.substr(0, end == std::string::npos ? buffer_.size() : end + 4);
  buffer_.erase(0, head.size());
  status_ = status_of(head);
  if (status_ == 101 && header_of(head, "Sec-WebSocket-Accept") != kAccept) status_ = -101;
}

void RawWebSocket::send_frame(int opcode, std::string_view payload, bool fin, bool masked) {
  send_raw(encode_frame(opcode, payload, fin, masked));
}

void RawWebSocket::send_raw(std::string_view bytes) {
  send_or_throw(socket_, bytes);
}

bool RawWebSocket::fill(std::size_t bytes, Clock::time_point deadline) {
  while (buffer_.size() < bytes) {
    if (eof_ || !read_more(socket_.get(), buffer_, deadline)) {
      if (Clock::now() < deadline) eof_ = true;
      return false;
    }
  }
  return true;
}

std::optional<Frame> RawWebSocket::read_frame(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  if (!fill(2, deadline)) return std::nullopt;
  const auto first = static_cast<unsigned char>(buffer_[0]);
  std::size_t length = static_cast<unsigned char>(buffer_[1]) & 0x7f;
  std::size_t header = 2;
  if (length == kTwoByteLength || length == kEightByteLength) {
    const std::size_t bytes = length == kTwoByteLength ? 2 : 8;
    if (!fill(2 + bytes, deadline)) return std::nullopt;
    length = 0;
    for (std::size_t i = 0; i < bytes; ++i) {
      length = (length << 8) | static_cast<unsigned char>(buffer_[2 + i]);
    }
    header += bytes;
  }
  if (!fill(header + length, deadline)) return std::nullopt;
  Frame frame{first & 0x0f, buffer_.substr(header, length), (first & 0x80) != 0};
  buffer_.erase(0, header + length);
  return frame;
}

std::optional<std::string> RawWebSocket::read_chat_text(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (auto frame = read_frame(std::chrono::milliseconds(millis_left(deadline)))) {
    if (frame->opcode == kText && !frame->payload.starts_with("*** ")) return frame->payload;
    if (frame->opcode == kClose) return std::nullopt;
  }
  return std::nullopt;
}

bool RawWebSocket::read_until(std::string_view expected, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (auto frame = read_frame(std::chrono::milliseconds(millis_left(deadline)))) {
    if (frame->opcode == kText && frame->payload == expected) return true;
    if (frame->opcode == kClose) return false;
  }
  return false;
}

std::optional<Frame> RawWebSocket::read_until_close(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (auto frame = read_frame(std::chrono::milliseconds(millis_left(deadline)))) {
    if (frame->opcode == kClose) return frame;
  }
  if (eof_) return Frame{kClose, "", true};  // closed without a close frame: code 0
  return std::nullopt;
}

}  // namespace lochat::test
