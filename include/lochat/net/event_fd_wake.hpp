#pragma once

#include "lochat/net/socket.hpp"

namespace lochat {

// A wake-up a thread can poll() for, beside its sockets (an eventfd): any
// thread calls notify(); the one polling fd() wakes and calls drain(). Used
// where a thread waits on descriptors anyway (the accept loop, the discovery
// responder, the bench); a session thread uses SignalWake, which costs no
// descriptor. The eventfd's counter is the kernel's: no lock is needed.
class EventFdWake {
 public:
  EventFdWake();
  void notify() const;
  void drain() const;
  [[nodiscard]] int fd() const { return fd_.get(); }

 private:
  FileDescriptor fd_;
};

}  // namespace lochat
