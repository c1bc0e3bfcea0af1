#include "lochat/server/address_limits.hpp"

#include <algorithm>

namespace lochat {

namespace {

// Budgets kept before the rested ones are looked for: the look walks the
// whole map, so it is done once the map has grown, not on every connection.
constexpr std::size_t kForgetRestedFrom = 64;

double per_second(std::chrono::seconds interval) {
  return 1.0 / std::chrono::duration<double>(interval).count();
}

}  // namespace

AddressBudget::AddressBudget(double line_rate, double line_burst, Clock::time_point now)
    : lines_(line_rate, line_burst, now),
      presence_(per_second(kPresenceInterval), kPresenceBurst, now),
      connections_(per_second(kConnectInterval), kConnectBurst, now) {}

bool AddressBudget::try_take_line(Clock::time_point now) {
  std::lock_guard lock(mutex_);
  return lines_.try_take(now);
}

std::chrono::milliseconds AddressBudget::wait_for_line(Clock::time_point now) const {
  std::lock_guard lock(mutex_);
  return lines_.wait_for_token(now);
}

bool AddressBudget::try_take_presence(Clock::time_point now) {
  std::lock_guard lock(mutex_);
  return presence_.try_take(now);
}

bool AddressBudget::try_take_connection(Clock::time_point now) {
  std::lock_guard lock(mutex_);
  return connections_.try_take(now);
}

bool AddressBudget::note_wrong_password(Clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (now - last_wrong_password_ >= kWrongPasswordMemory) wrong_passwords_ = 0;
  last_wrong_password_ = now;
  if (++wrong_passwords_ < kWrongPasswordsAllowed) return false;
  wrong_passwords_ = 0;
  refused_until_ = now + kPasswordRefusal;
  return true;
}

std::chrono::seconds AddressBudget::refused_for(Clock::time_point now) const {
  std::lock_guard lock(mutex_);
  if (now >= refused_until_) return std::chrono::seconds(0);
  // Rounded up: a refusal with less than a second left still says 1 s.
  return std::chrono::ceil<std::chrono::seconds>(refused_until_ - now);
}

bool AddressBudget::rested(Clock::time_point now) const {
  std::lock_guard lock(mutex_);
  const bool no_wrong_password =
      now >= refused_until_ &&
      (wrong_passwords_ == 0 || now - last_wrong_password_ >= kWrongPasswordMemory);
  return lines_.full(now) && presence_.full(now) && connections_.full(now) && no_wrong_password;
}

AddressLimits::AddressLimits(double rate, std::size_t burst)
    : line_rate_(rate * kConnectionsPerAddress),
      line_burst_(static_cast<double>(burst) * kConnectionsPerAddress) {}

std::shared_ptr<AddressBudget> AddressLimits::budget_for(const std::string& address) {
  const auto now = AddressBudget::Clock::now();
  std::lock_guard lock(mutex_);
  if (budgets_.size() >= sweep_at_) {
    forget_rested(now);
    // Walk the map again only once it has doubled: accepting stays cheap
    // however many addresses are tracked.
    sweep_at_ = std::max(kForgetRestedFrom, 2 * budgets_.size());
  }
  auto& budget = budgets_[address];
  if (!budget) budget = std::make_shared<AddressBudget>(line_rate_, line_burst_, now);
  return budget;
}

std::size_t AddressLimits::tracked() const {
  std::lock_guard lock(mutex_);
  return budgets_.size();
}

// A budget nobody else holds that has filled up again is what a new one would be.
void AddressLimits::forget_rested(AddressBudget::Clock::time_point now) {
  std::erase_if(budgets_, [now](const auto& entry) {
    return entry.second.use_count() == 1 && entry.second->rested(now);
  });
}

}  // namespace lochat
