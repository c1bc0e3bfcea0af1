#include "tls_line_client.hpp"

#include <array>
#include <stdexcept>

namespace lochat::test {

namespace {

using Clock = std::chrono::steady_clock;

std::chrono::milliseconds left_until(Clock::time_point deadline) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
}

}  // namespace

TlsLineClient::TlsLineClient(std::uint16_t port, const std::string& source)
    : socket_(connect_from(source, port)) {
  static const tls::Context context = tls::Context::client();
  set_nonblocking(socket_);
  stream_ = std::make_unique<tls::Stream>(context, socket_.get(), tls::Stream::Role::connect);
}

bool TlsLineClient::handshake(std::chrono::milliseconds timeout) {
  return stream_->handshake_until(Clock::now() + timeout);
}

void TlsLineClient::send_line(std::string_view text) {
  std::string pending = std::string(text) + "\n";
  const auto deadline = Clock::now() + kPatience;
  while (!pending.empty()) {
    const auto io = stream_->write(pending);
    if (io.status == tls::Stream::Io::Status::done) {
      pending.erase(0, io.bytes);
    } else if (io.status != tls::Stream::Io::Status::would_block || left_until(deadline) <= 0ms ||
               !tls::wait_for(socket_.get(), io.wait, left_until(deadline))) {
      throw std::runtime_error("TlsLineClient: send failed");
    }
  }
}

std::optional<std::string> TlsLineClient::read_line(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    if (const auto end = buffer_.find('\n'); end != std::string::npos) {
      std::string line = buffer_.substr(0, end);
      buffer_.erase(0, end + 1);
      return line;
    }
    if (closed_) return std::nullopt;
    std::array<char, 4096> chunk{};
    const auto io = stream_->read(chunk);
    if (io.status == tls::Stream::Io::Status::done) {
      buffer_.append(chunk.data(), io.bytes);
    } else if (io.status != tls::Stream::Io::Status::would_block) {
      closed_ = true;
    } else if (left_until(deadline) <= 0ms ||
               !tls::wait_for(socket_.get(), io.wait, left_until(deadline))) {
      return std::nullopt;
    }
  }
}

bool TlsLineClient::wait_closed(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (read_line(left_until(deadline))) {
  }
  return closed_;
}

}  // namespace lochat::test
