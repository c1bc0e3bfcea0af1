#include "lochat/web/web_listener.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <chrono>
#include <system_error>
#include <utility>

#include "lochat/web/web_connection.hpp"

namespace lochat::web {

namespace {

constexpr int kListenBacklog = 128;
constexpr int kAcceptsPerWake = 64;
// At shutdown, the sessions have already said goodbye: a bridge gets this
// long to pass it on and close, a pending request this long to finish.
constexpr std::chrono::milliseconds kStopGrace{500};

}  // namespace

WebListener::WebListener(WebConfig config, HandOver hand_over)
    : config_(std::move(config)),
      hand_over_(std::move(hand_over)),
      listener_(listen_tcp(config_.host, config_.port, kListenBacklog)) {
  set_nonblocking(listener_);
  port_ = local_port(listener_);
  thread_ = std::thread([this] { serve(); });
}

WebListener::~WebListener() {
  stopping_.store(true);
  wake_.notify();
  thread_.join();
  std::list<Running> all;
  {
    std::lock_guard lock(connections_mutex_);
    all.swap(connections_);
  }
  for (auto& running : all) running.connection->stop_soon(kStopGrace);
  for (auto& running : all) running.thread.join();
}

std::size_t WebListener::connections() const {
  std::lock_guard lock(connections_mutex_);
  return connections_.size();
}

void WebListener::serve() {
  while (!stopping_.load()) {
    std::array<pollfd, 2> watched{{{listener_.get(), POLLIN, 0}, {wake_.fd(), POLLIN, 0}}};
    ::poll(watched.data(), watched.size(), -1);
    if (watched[1].revents != 0) wake_.drain();
    reap_finished();
    if ((watched[0].revents & POLLIN) != 0) accept_pending();
  }
}

void WebListener::accept_pending() {
  for (int accepted = 0; accepted < kAcceptsPerWake; ++accepted) {
    FileDescriptor socket(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!socket.valid()) return;
    auto peer = peer_endpoint(socket);
    if (peer.address.empty()) continue;
    std::lock_guard lock(connections_mutex_);
    // Past a bound the newcomer is closed unanswered: a flood of
    // connections costs a descriptor for a moment, never a thread.
    if (connections_.size() >= config_.max_connections || !room_for_request(peer.address)) {
      continue;
    }
    auto connection = std::make_shared<WebConnection>(std::move(socket), std::move(peer), config_,
                                                      hand_over_, [this] { wake_.notify(); });
    try {
      connections_.push_back(Running{connection, std::thread([connection] { connection->run(); })});
    } catch (const std::system_error&) {
      // Out of threads: the connection closes with its socket.
    }
  }
}

bool WebListener::room_for_request(const std::string& address) const {
  std::size_t pending = 0;
  std::size_t from_address = 0;
  for (const auto& running : connections_) {
    if (!running.connection->pending() || running.connection->finished()) continue;
    ++pending;
    if (running.connection->peer().address == address) ++from_address;
  }
  return pending < config_.max_pending && from_address < config_.max_pending_per_address;
}

void WebListener::reap_finished() {
  std::list<Running> done;
  {
    std::lock_guard lock(connections_mutex_);
    for (auto it = connections_.begin(); it != connections_.end();) {
      auto next = std::next(it);
      if (it->connection->finished()) done.splice(done.end(), connections_, it);
      it = next;
    }
  }
  for (auto& running : done) running.thread.join();
}

std::vector<std::string> page_addresses(const std::string& host) {
  if (host != "0.0.0.0") return {host};
  std::vector<std::string> found;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return {"127.0.0.1"};
  for (const ifaddrs* entry = list; entry != nullptr; entry = entry->ifa_next) {
    if (entry->ifa_addr == nullptr || entry->ifa_addr->sa_family != AF_INET ||
        (entry->ifa_flags & IFF_UP) == 0) {
      continue;
    }
    std::array<char, INET_ADDRSTRLEN> text{};
    const auto* address = reinterpret_cast<const sockaddr_in*>(entry->ifa_addr);
    ::inet_ntop(AF_INET, &address->sin_addr, text.data(), text.size());
    found.emplace_back(text.data());
  }
  ::freeifaddrs(list);
  return found;
}

}  // namespace lochat::web
