#include "lochat/net/signal_wake.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <future>
#include <thread>

namespace lochat {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto kLongWait = 30s;
constexpr auto kWokenWithin = 5s;

// attach() changes the calling thread's signal mask, so each test waits on a
// thread of its own rather than on the test runner's.
template <typename Body>
void on_own_thread(Body body) {
  std::thread(body).join();
}

// A socket pair whose first end never becomes readable unless written to.
class QuietSocket : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, ends_.data()), 0); }
  void TearDown() override {
    ::close(ends_[0]);
    ::close(ends_[1]);
  }
  std::array<pollfd, 1> watched() const { return {{{ends_[0], POLLIN, 0}}}; }

  // A wake-up recorded before this thread waited ends its first wait at once.
  void expect_recorded_wake_up(SignalWake& wake) const {
    on_own_thread([&] {
      wake.attach();
      auto fds = watched();
      const auto started = Clock::now();
      EXPECT_EQ(wake.wait(fds, kLongWait), 0);
      EXPECT_LT(Clock::now() - started, kWokenWithin);
      wake.detach();
    });
  }

  std::array<int, 2> ends_{-1, -1};
};

TEST_F(QuietSocket, NotifyWakesAThreadWaitingInPoll) {
  SignalWake wake;
  std::promise<void> attached;
  auto waited = std::async(std::launch::async, [&] {
    wake.attach();
    attached.set_value();
    auto fds = watched();
    const auto started = Clock::now();
    wake.wait(fds, kLongWait);
    wake.detach();
    return Clock::now() - started;
  });
  attached.get_future().wait();
  wake.notify();
  ASSERT_EQ(waited.wait_for(kWokenWithin), std::future_status::ready);
  EXPECT_LT(waited.get(), kWokenWithin);
}

TEST_F(QuietSocket, NotifyBeforeTheWaitIsNotLost) {
  SignalWake wake;
  wake.notify();  // before attach: only recorded
  expect_recorded_wake_up(wake);
}

TEST_F(QuietSocket, NotifyWhileBusyEndsTheNextWait) {
  SignalWake wake;
  on_own_thread([&] {
    wake.attach();
    auto fds = watched();
    const auto started = Clock::now();
    wake.notify();  // the thread is not waiting yet
    EXPECT_LE(wake.wait(fds, kLongWait), 0);
    EXPECT_LT(Clock::now() - started, kWokenWithin);
    wake.detach();
  });
}

TEST_F(QuietSocket, WaitStillReportsSocketReadiness) {
  SignalWake wake;
  ASSERT_EQ(::write(ends_[1], "x", 1), 1);
  on_own_thread([&] {
    wake.attach();
    auto fds = watched();
    EXPECT_EQ(wake.wait(fds, kLongWait), 1);
    EXPECT_NE(fds[0].revents & POLLIN, 0);
    wake.detach();
  });
}

TEST_F(QuietSocket, WakeUpsAfterTheThreadHasGoneAreKeptForTheNextWaiter) {
  SignalWake wake;
  on_own_thread([&] {
    wake.attach();
    wake.detach();
  });
  wake.notify();  // no signal may go to the ended thread
  expect_recorded_wake_up(wake);
}

}  // namespace
}  // namespace lochat
