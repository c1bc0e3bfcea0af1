#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "lochat/net/signal_wake.hpp"
#include "lochat/net/socket.hpp"
#include "lochat/net/tls.hpp"
#include "lochat/server/outbound_queue.hpp"
#include "lochat/server/participant.hpp"

namespace lochat {

// How long a connection may hold back a delivery to gather it with others
// into one write: 0.5, 1, 2 and 4 ms were measured; 2 ms gave the most
// deliveries/s at 50 and 200 clients without a longer p99 (docs/BENCHMARKS.md).
inline constexpr std::chrono::microseconds kCoalesceWindow{2000};
// A client on the TLS port that has not finished its handshake by then is
// closed: a silent one holds a thread and a place in its address's limits.
inline constexpr std::chrono::seconds kTlsHandshakeTime{5};

// Everything that writes to one client's socket: its bounded outbound queue,
// the writer and the coalescing of deliveries. It is the Participant the room
// delivers to; the Session that owns it reads the same socket.
//
// Threads: deliver() and flush_held() come from other clients' threads,
// queue_own_line() from the owner or the server's thread; everything else
// belongs to the owner, the session's thread. The queue has its own mutex;
// write_mutex_ guards the writer's state (writing_, writing_front_,
// written_of_front_, record_), the socket's send side and closing, and the
// TLS object, reads included; the rest shared
// between threads is atomic. kick_mutex_ guards an operator's kick.
//
// The steps of writing, each with one name:
//   deliver()        queue lines from another sender; write them at once
//                    (write_now_or_hand_over) unless held back to coalesce
//   flush_held()     the sender's payment for lines held back: write them now
//   write_now_or_hand_over()  from a thread that is not the owner: write
//                    without waiting for the lock; whatever the socket does
//                    not take, the owner's thread is woken to write
//   write_due()      the owner's turn: write what is queued, unless its own
//                    lines wait out a running coalescing window
//   write_queue()    take the lock (or give up if busy), write; repeat while
//                    others keep adding, for a bounded number of rounds
//   write_taken_locked()  under the lock: sendmsg() all taken lines (over
//                    TLS: SSL_write them, gathered into records)
//
// Whichever thread holds write_mutex_ writes everything queued. A sender
// delivering a line writes it to an idle recipient's socket itself
// (non-blocking), so a delivery costs no wake-up and no context switch; only
// when the socket is full does the owner's thread take over, waiting for
// POLLOUT. A thread that finds the lock taken leaves its line queued: the
// holder looks at the queue again after unlocking, so no line is stranded.
//
// Coalescing: a delivery from a different sender than the last one, within
// kCoalesceWindow of the last write to this client, is held back, to go out
// in one write with everything else that arrives meanwhile (unless 32 KiB
// are queued already: that is one large write as it is). The sender hands the
// recipient to the server's FlushScheduler (through PendingFlushes), whose
// one thread calls flush_held() at the end of the window; whichever write
// comes first takes all that is queued. The owner's own lines wait out a
// running window the same way, flushed by the same scheduler. So no thread
// wakes up just to end a window. With many talkers a client gets one TCP
// segment per window instead of one per sender, as Nagle's algorithm gives
// ncat, without its 40 ms stall behind a delayed ACK; a client hearing a
// single talker gets each of its reads at once. A TLS client counts as
// written lately for 10 ms, not 2: each write is a record its client must
// decrypt, so gathering pays more there.
//
// The transport: a connection from the TLS port carries a tls::Stream, whose
// OpenSSL object is not thread-safe. The rule: every use of it (handshake,
// read_some, every write, close_notify, freeing it) is made under
// write_mutex_, so a TLS connection is written as a plain one is: a sender
// that finds the lock free encrypts and writes in place, what is queued
// gathered into records of up to 16 KiB, and one that finds it taken (the
// owner reading, or another writer) leaves its lines to the holder. The
// owner's read is one non-blocking SSL_read per record that has arrived, so
// it holds the lock briefly; after it the owner writes what is due
// (Session::serve), so no line waits behind a read. Measured: before, only
// the owner's thread wrote to a TLS client, and the wake-up every delivery
// cost it, not the encryption, was most of what TLS cost the server.
class Connection final : public Participant {
 public:
  enum class Health { open, failed, overflowed, evicted, stalled };

  struct Limits {
    std::size_t sendq_bytes = 1024 * 1024;  // what the queue may hold for this client alone
    // Lines waiting and not a byte written for this long: the client has stopped reading.
    std::chrono::milliseconds sendq_timeout{30000};
    QueueBudget* budget = nullptr;  // server-wide; may be null
  };

  // `owner_wake` wakes the session's thread when the socket needs it; with
  // `tls` (the server's context) the client speaks TLS on this socket.
  Connection(FileDescriptor socket, Limits limits, SignalWake& owner_wake,
             const tls::Context* tls = nullptr);

  // How the start went: ready to talk; or, on the TLS port, the client sent
  // something that is no TLS handshake (not_tls), sent nothing at all before
  // the deadline (silent), or its handshake failed, timed out or was cut short
  // by the server stopping (the owner's wake-up).
  enum class Start { ready, not_tls, silent, failed };
  // Owner, once before anything else: non-blocking, timeouts, no Nagle,
  // keepalive, a modest kernel send buffer, and the TLS handshake, which must
  // end within kTlsHandshakeTime.
  Start prepare_socket(std::chrono::milliseconds io_timeout, int send_buffer_bytes);
  [[nodiscard]] const FileDescriptor& socket() const { return socket_; }
  [[nodiscard]] bool has_tls() const { return encrypted_; }
  // Owner: what the client sent, decrypted if it speaks TLS: every record
  // that has arrived, up to the buffer's size.
  ReadResult read_some(std::span<char> buffer);
  // Owner: whether to read after a poll that gave `revents`: the socket is
  // readable, or TLS has input already decrypted (which leaves the socket
  // unreadable), or a TLS read that waited for the socket to take bytes can go on.
  [[nodiscard]] bool input_ready(short revents) const;
  // Owner: TLS input is decrypted and waiting: do not sleep before reading it
  // (unless the read waits for the socket to take bytes first).
  [[nodiscard]] bool has_buffered_input() const {
    return !read_waits_writable_ && buffered_input_ > 0;
  }
  // Owner: a TLS read (e.g. of a key update, whose answer must be sent
  // first) waits for POLLOUT: until then, unread input must not wake the
  // owner, or it would read, be told to wait again, and spin.
  [[nodiscard]] bool read_waits_writable() const { return read_waits_writable_; }
  // Owner, after the handshake: the SHA-256 fingerprint of the key the client
  // presented as its TLS certificate; "" for none, or on the plain port.
  [[nodiscard]] const std::string& client_key() const { return client_key_; }
  [[nodiscard]] bool encrypted() const { return encrypted_; }

  Delivery deliver(std::span<const SharedLine> lines, const Participant* from,
                   Audience audience) override;
  void flush_held() override;
  [[nodiscard]] std::size_t backlog_bytes() const override { return queue_.bytes(); }
  void evict() override;
  // Owner, before it joins the room (whose mutex then orders this write before
  // any other thread's read): who the client is. Read-only from then on.
  void set_identity(Identity identity) { identity_ = std::move(identity); }
  [[nodiscard]] Identity identity() const override { return identity_; }
  // Any thread: records why and wakes the owner, which says it and closes.
  void kick(std::string reason) override;
  // Owner: why an operator removed the client, once, if one did.
  [[nodiscard]] std::optional<std::string> take_kick();

  // A line for this client alone (the greeting, a reply, the history, the
  // shutdown notice). It counts against the queue's limit like any delivery:
  // past it the queue overflows and the client is disconnected. Any thread.
  void queue_own_line(SharedLine line);
  void queue_own_line(std::string line);

  // Owner: writes what is due now; open, or why the connection must close.
  Health write_due();
  // Why a connection that overflowed, was evicted or stalled is dropped: for
  // the log, and for the others' notice.
  struct DropReason {
    std::string logged;
    std::string told;
  };
  [[nodiscard]] DropReason drop_reason(Health why) const;
  // Owner: the socket is full and queued lines wait for POLLOUT.
  [[nodiscard]] bool waits_for_socket() const;
  // Owner: when the owner's own lines may be written (the end of a running
  // coalescing window), if they are waiting for one: the session then owes
  // this connection a flush (FlushScheduler).
  [[nodiscard]] std::optional<std::chrono::steady_clock::time_point> own_lines_due() const;
  // Owner, while waits_for_socket(): when the client counts as not reading.
  [[nodiscard]] std::chrono::steady_clock::time_point stalled_at() const;
  [[nodiscard]] bool has_queued() const { return queue_.bytes() > 0; }

  // Owner: from here on nothing waits for a window.
  void start_closing() { closing_ = true; }
  // Owner: writes until the queue is empty or `deadline`, half-closes, and
  // discards (a bounded amount of) unread input, so the close sends no reset
  // that could make the client lose the lines just written. Returns why
  // writing stopped early, if it did.
  Health drain_and_half_close(std::chrono::steady_clock::time_point deadline);
  // Owner: a client that stopped reading is closed with a reset, so its
  // backlog does not linger in the kernel, retransmitted with back-off.
  void reset_on_close() { set_reset_on_close(socket_); }
  // Owner: closes the socket (under the write lock: no sender is writing to it).
  void close();

 private:
  enum class Flush { done, pending, failed };
  enum class WriterWait { wait, skip_if_busy };

  void write_now_or_hand_over();
  Flush write_queue(WriterWait wait);
  Flush write_taken_locked();
  Start handshake();
  tls::Stream::Io handshake_step();
  Flush write_taken_tls_locked();
  void gather_record();
  void release_written_slots();
  void advance_written(std::size_t bytes);
  [[nodiscard]] Health queue_health() const;
  [[nodiscard]] bool written_lately(std::chrono::steady_clock::time_point now) const;
  bool own_lines_wait();

  FileDescriptor socket_;
  // Used under write_mutex_ only (see "The transport" above); the pointer
  // itself changes only in close(), under the same lock.
  std::unique_ptr<tls::Stream> tls_;
  const bool encrypted_;
  OutboundQueue queue_;
  const Limits limits_;
  SignalWake& owner_wake_;
  Identity identity_;      // see set_identity()
  std::mutex kick_mutex_;  // guards kick_reason_
  std::optional<std::string> kick_reason_;

  // Set by a writer that found the socket full (cleared by the owner's thread
  // once it looks again) or broken: deliveries then only queue.
  std::atomic<bool> output_blocked_{false};
  std::atomic<bool> output_failed_{false};
  // Coalescing: when the socket was last written (steady clock), and who delivered last.
  std::atomic<std::chrono::steady_clock::duration> last_write_{};
  std::atomic<const Participant*> last_sender_{nullptr};

  // Guards the four below, the TLS object, the send side and closing.
  std::mutex write_mutex_;
  // Taken from queue_; writing_[writing_front_] is the first not fully written.
  std::vector<QueuedLine> writing_;
  std::size_t writing_front_ = 0;
  std::size_t written_of_front_ = 0;
  // TLS only: the bytes of writing_ being encrypted, kept as they are until
  // written, as OpenSSL wants a retried write to start with the same bytes.
  std::string record_;

  // Owner's thread only.
  bool closing_ = false;
  bool read_waits_writable_ = false;  // a TLS read needs the socket to take bytes first
  std::size_t buffered_input_ = 0;    // TLS input decrypted and waiting, as of the last read
  std::string client_key_;            // set by the handshake, before other threads see it
  std::chrono::steady_clock::time_point own_lines_due_{};  // {} = not waiting for a window
};

}  // namespace lochat
