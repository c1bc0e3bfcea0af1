#include "lochat/wire/framing.hpp"

namespace lochat {

LineFramer::LineFramer(std::size_t max_line) : max_line_(max_line) {}

void LineFramer::feed(std::string_view bytes, const LineHandler& on_line,
                      const OverlongHandler& on_overlong) {
  while (!bytes.empty()) {
    const auto newline = bytes.find('\n');
    if (newline == std::string_view::npos) {
      append_partial(bytes);
      return;
    }
    append_partial(bytes.substr(0, newline));
    finish_line(on_line, on_overlong);
    bytes.remove_prefix(newline + 1);
  }
}

void LineFramer::finish(const LineHandler& on_line, const OverlongHandler& on_overlong) {
  if (!partial_.empty() || discarding_) finish_line(on_line, on_overlong);
}

void LineFramer::append_partial(std::string_view piece) {
  if (discarding_) return;
  // One spare byte lets a line of exactly max_line bytes keep its "\r".
  if (partial_.size() + piece.size() > max_line_ + 1) {
    discarding_ = true;
    partial_.clear();
    partial_.shrink_to_fit();
    return;
  }
  partial_.append(piece);
}

void LineFramer::finish_line(const LineHandler& on_line, const OverlongHandler& on_overlong) {
  if (!partial_.empty() && partial_.back() == '\r') partial_.pop_back();
  const bool overlong = discarding_ || partial_.size() > max_line_;
  if (overlong) {
    on_overlong();
  } else {
    on_line(partial_);
  }
  partial_.clear();
  discarding_ = false;
}

}  // namespace lochat
