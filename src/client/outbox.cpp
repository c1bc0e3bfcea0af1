#include "lochat/client/outbox.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "lochat/wire/server_line.hpp"

namespace lochat {

Outbox::Outbox(Clock::time_point connected) : describe_by_(connected + kDescribeWithin) {}

bool Outbox::observe(std::string_view line) {
  if (server_ != Server::undecided) return false;
  if (const auto description = protocol::describe(line)) {
    description_ = *description;
    server_ = Server::lochat;
    // Its flood limit has been filling since the connect: a whole burst is ours.
    bucket_.emplace(description_.rate, static_cast<double>(description_.burst), Clock::now());
    return true;
  }
  // The welcome comes before the self-description; anything else first means another server.
  if (protocol::shows_nothing(line) || line == protocol::kWelcome) return false;
  server_ = Server::foreign;
  return true;
}

bool Outbox::settle_by_time(Clock::time_point now) {
  if (server_ != Server::undecided || now < describe_by_) return false;
  server_ = Server::foreign;
  return true;
}

bool Outbox::acknowledges() const {
  return server_ == Server::lochat && description_.acknowledges;
}

void Outbox::push(std::string typed) {
  queue_.push_back({std::move(typed), true, false});
}

void Outbox::push_first(std::string own) {
  queue_.push_front({std::move(own), false, false});
}

std::optional<Outbox::Line> Outbox::next_due(Clock::time_point now) {
  if (queue_.empty() || server_ == Server::undecided) return std::nullopt;
  if (bucket_ && !bucket_->try_take(now)) return std::nullopt;
  Line line = std::move(queue_.front());
  queue_.pop_front();
  progress_told_ = progress_told_ && !queue_.empty();
  if (server_ == Server::foreign && line.typed) {
    // Such a server relays every line as it is: "//x" is meant as "/x", and
    // a command would reach everyone as a chat line.
    const auto parsed = protocol::parse_client_line(line.text);
    if (parsed.kind == protocol::ClientLine::Kind::command) line.refused = true;
    if (parsed.kind == protocol::ClientLine::Kind::chat) line.text = std::string(parsed.text);
  }
  return line;
}

std::optional<std::chrono::milliseconds> Outbox::wait(Clock::time_point now) const {
  if (server_ == Server::undecided) {
    return std::max(std::chrono::ceil<std::chrono::milliseconds>(describe_by_ - now),
                    std::chrono::milliseconds(0));
  }
  if (queue_.empty()) return std::nullopt;
  // At least 1 ms: a wait of zero would spin until the token's arithmetic catches up.
  return bucket_ ? std::max(bucket_->wait_for_token(now), std::chrono::milliseconds(1))
                 : std::chrono::milliseconds(0);
}

std::optional<std::string> Outbox::progress(Clock::time_point now) {
  if (progress_told_ || !bucket_ || description_.rate <= 0 || queue_.size() <= description_.burst) {
    return std::nullopt;
  }
  progress_told_ = true;
  const double later = static_cast<double>(queue_.size()) - std::floor(bucket_->available(now));
  const auto seconds = static_cast<long long>(std::ceil(later / description_.rate));
  return "sending " + std::to_string(queue_.size()) + " lines, about " + std::to_string(seconds) +
         " s (the server's flood limit)";
}

}  // namespace lochat
