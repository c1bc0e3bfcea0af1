#pragma once

#include <poll.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "lochat/net/event_fd_wake.hpp"
#include "lochat/net/socket.hpp"
#include "lochat/net/tls.hpp"
#include "lochat/server/storm_log.hpp"

// Newcomers refused on the TLS port (server full, their address's limits,
// too many wrong passwords) hear why inside TLS, as a client of that port
// can read nothing else: their handshake is finished, the line written, and
// the connection closed.
//
// The design, so that refusals cost the server almost nothing and nobody can
// hold them up:
// - The accept thread never does TLS: refuse() only queues the socket, under
//   mutex_, and wakes this class's thread. It never blocks.
// - One thread does every refusal, each a non-blocking state machine in one
//   poll() loop: a client that stalls its handshake (or never reads the
//   line) delays nobody else, and is closed at its deadline, kTlsHandshakeTime
//   after it was accepted, as a served client's handshake is.
// - At most kRefusalsInHand are in hand at once, and kRefusalsPerAddress from
//   one address: past that a refused newcomer is closed at once, unanswered.
//   So a flood of refused TLS newcomers costs one thread, a bounded number of
//   descriptors and TLS objects, and no session thread at all.
// - Each refusal's OpenSSL object is made, used and freed by that one thread.
// - Someone at nc on the TLS port, refused, reads the plain line that says
//   this is the TLS port (strangers::not_tls), as a served one does.
//
// Threads: refuse() from the accept thread; run() on the thread it owns,
// stopped and joined by the destructor. mutex_ guards incoming_ and
// per_address_; refusing_ is the thread's alone.
namespace lochat {

// Refusals in progress at once, and from one address: enough for every
// refused person of a LAN, few enough that a flood costs a few MB.
inline constexpr std::size_t kRefusalsInHand = 128;
inline constexpr std::size_t kRefusalsPerAddress = 8;
// After its line and close_notify, a refused client is given this long to
// read them and close first: closing with its input unread would reset the
// connection, and it could lose the line.
inline constexpr std::chrono::seconds kRefusalLinger{1};

class TlsRefusals {
 public:
  // `not_tls_line`: what a client that does not speak TLS reads instead.
  // `failed_handshakes` (the server's) logs handshakes that fail, once per storm.
  TlsRefusals(const tls::Context& context, std::string not_tls_line, StormLog& failed_handshakes);
  ~TlsRefusals();
  TlsRefusals(const TlsRefusals&) = delete;
  TlsRefusals& operator=(const TlsRefusals&) = delete;

  // Accept thread: refuses `socket`, from `address`, with `line` (a whole
  // "Error: ..." line). False if too many are in hand: it was closed unanswered.
  bool refuse(FileDescriptor socket, const std::string& address, std::string line);

 private:
  struct Refusal {
    FileDescriptor socket;
    std::string address;
    std::string line;
    std::chrono::steady_clock::time_point deadline;
    std::unique_ptr<tls::Stream> stream;  // made on this class's thread
    enum class Phase { handshake, line, linger } phase = Phase::handshake;
    short events = POLLIN;  // what it waits for
  };

  void run();
  void take_incoming();
  // One step; false when done with it (the socket may then be closed).
  bool advance(Refusal& refusal);
  bool handshake(Refusal& refusal);
  bool write_line(Refusal& refusal);
  bool linger(Refusal& refusal);
  void note_failed_handshake(const Refusal& refusal, std::string_view why);
  void forget(const Refusal& refusal);

  const tls::Context& context_;
  const std::string not_tls_line_;
  StormLog& failed_handshakes_;
  EventFdWake wake_;
  std::atomic<bool> stopping_{false};

  std::mutex mutex_;  // guards incoming_ and per_address_
  std::vector<Refusal> incoming_;
  std::map<std::string, std::size_t> per_address_;  // in hand, incoming or not

  std::list<Refusal> refusing_;  // this class's thread only
  std::thread thread_;           // last: started once everything above is made
};

}  // namespace lochat
