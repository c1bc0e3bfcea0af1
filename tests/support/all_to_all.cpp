#include "all_to_all.hpp"

#include <map>
#include <memory>
#include <thread>

#include "test_support.hpp"

namespace lochat::test {

namespace {

std::string numbered_message(std::size_t sender, std::size_t sequence) {
  return "msg " + std::to_string(sender) + " " + std::to_string(sequence) + " payload-" +
         std::string(sequence % 7, '*');
}

// Reads until client `me` has every ack and every relay it should; "" if all were right.
std::string check_deliveries(LineClient& client, std::size_t me,
                             const std::map<std::string, std::size_t>& sender_index,
                             std::size_t messages) {
  const std::size_t clients = sender_index.size();
  std::vector<std::size_t> next_expected(clients, 0);
  std::size_t acks = 0;
  std::size_t relays = 0;
  while (acks < messages || relays < (clients - 1) * messages) {
    const auto line = client.read_chat_line();
    if (!line) {
      return "timed out after " + std::to_string(acks) + " acks and " + std::to_string(relays) +
             " relays";
    }
    if (*line == "Message Received") {
      ++acks;
      continue;
    }
    const auto colon = line->find(": ", 5);
    const auto from = sender_index.find(line->substr(5, colon - 5));
    if (!line->starts_with("From ") || from == sender_index.end() || from->second == me) {
      return "unexpected line: " + *line;
    }
    const std::string expected = "From " + from->first + ": " +
                                 numbered_message(from->second, next_expected[from->second]++);
    if (*line != expected) return "got '" + *line + "' but wanted '" + expected + "'";
    ++relays;
  }
  return "";
}

}  // namespace

std::vector<std::string> all_to_all_failures(std::uint16_t port, std::size_t clients,
                                             std::size_t messages) {
  std::vector<std::unique_ptr<LineClient>> connections;
  std::map<std::string, std::size_t> sender_index;
  for (std::size_t i = 0; i < clients; ++i) {
    connections.push_back(std::make_unique<LineClient>(port));
    connections.back()->read_until("Welcome to LoChat!");
    sender_index[connections.back()->local_endpoint().to_string()] = i;
  }
  std::vector<std::string> outcome(clients);
  std::vector<std::thread> workers;
  for (std::size_t me = 0; me < clients; ++me) {
    workers.emplace_back([&, me] {
      std::thread sender([&] {
        for (std::size_t m = 0; m < messages; ++m) {
          connections[me]->send_line(numbered_message(me, m));
        }
      });
      outcome[me] = check_deliveries(*connections[me], me, sender_index, messages);
      sender.join();
    });
  }
  for (auto& worker : workers) worker.join();
  std::vector<std::string> failures;
  for (std::size_t i = 0; i < clients; ++i) {
    if (!outcome[i].empty()) failures.push_back("client " + std::to_string(i) + ": " + outcome[i]);
  }
  return failures;
}

}  // namespace lochat::test
