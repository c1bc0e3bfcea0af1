#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>

#include "lochat/net/socket.hpp"
#include "lochat/net/tls.hpp"
#include "lochat/wire/framing.hpp"

namespace lochat {

// The network half of the `lochat` client, with no terminal code: connects,
// sends lines, and runs a receive thread that hands every whole line to a
// callback. Callbacks run on the receive thread. Until the server has
// described itself as a lochat-server, a line also ends after a quiet gap:
// the original LoChat server never ends its lines, it starts each with "\n".
//
// Threads: the caller's thread (the console's input thread) sends,
// serialised by send_mutex_; the receive thread reads. Over TLS both use one
// OpenSSL object, which must never be used by two threads at once: every
// call on it is made under tls_mutex_, with the socket non-blocking, and
// neither thread waits for the socket (poll) while holding that mutex.
class ChatClient {
 public:
  struct Callbacks {
    std::function<void(std::string_view line)> on_line;
    // Once, when the connection is over; by_server is false if we closed it.
    std::function<void(bool by_server)> on_closed;
  };

  // Connects to host:port; a NetError says "cannot connect to HOST:PORT: reason".
  ChatClient(const std::string& host, std::uint16_t port, Callbacks callbacks);
  // Chats over `tls`, whose handshake on the non-blocking `socket` is done
  // (and whose certificate the caller has checked).
  ChatClient(FileDescriptor socket, std::unique_ptr<tls::Stream> tls, Callbacks callbacks);
  ~ChatClient();
  ChatClient(const ChatClient&) = delete;
  ChatClient& operator=(const ChatClient&) = delete;

  // Sends one line (a "\n" is added); false once the connection is gone.
  bool send_line(std::string_view text);
  // Half-close: nothing more will be sent, but replies are still received
  // until the server closes (so `echo hi | lochat` sees its acknowledgement).
  void finish_sending();
  // Waits until the receive thread has seen the end of the connection and
  // has run on_closed.
  bool wait_closed(std::chrono::milliseconds timeout);
  // Closes now and joins the receive thread.
  void close();

 private:
  void receive_loop();
  // True if bytes came within the quiet gap (or nothing waits to be ended by it).
  bool more_within_quiet_gap(const LineFramer& framer, bool lines_end_with_newline);
  ReadResult receive_tls(std::span<char> buffer);
  bool send_tls(std::string_view bytes);

  FileDescriptor socket_;
  std::unique_ptr<tls::Stream> tls_;  // null in clear
  std::mutex tls_mutex_;              // held for each call on tls_, never while waiting
  Callbacks callbacks_;
  std::mutex send_mutex_;  // serialises send_line and finish_sending
  std::atomic<bool> closing_{false};
  std::mutex closed_mutex_;  // guards closed_
  std::condition_variable closed_changed_;
  bool closed_ = false;
  std::thread receiver_;
};

}  // namespace lochat
