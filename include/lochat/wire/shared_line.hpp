#pragma once

#include <memory>
#include <string>

// One formatted wire line (or a batch of whole lines), built once and shared,
// immutable, by every recipient's queue and by the history. Any thread may
// hold one; nothing ever changes it after make_shared_line().
namespace lochat {

using SharedLine = std::shared_ptr<const std::string>;

inline SharedLine make_shared_line(std::string text) {
  return std::make_shared<const std::string>(std::move(text));
}

}  // namespace lochat
