// lochat-bench: parses the command line into a BenchConfig, runs it and prints the report.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <string>

#include "app_support.hpp"
#include "lochat/bench.hpp"
#include "lochat/net/socket.hpp"

namespace {

// Flags that need converting before they fit BenchConfig.
struct RawFlags {
  double greeting_timeout_s = 5;
  double stall_timeout_s = 5;
  double timeout_s = 60;
  double hold_s = 0;
  bool no_greeting = false;
  pid_t server_pid = 0;
  bool json = false;
};

void add_target_flags(CLI::App& app, lochat::bench::BenchConfig& config, RawFlags& raw) {
  app.add_option("--host", config.host, "Server address")->capture_default_str();
  app.add_option("--port", config.port, "Server port")
      ->capture_default_str()
      ->check(lochat::app::whole_number(1, 65535));
  app.add_flag("--tls", config.tls,
               "Speak TLS to the port (e.g. lochat-server's --tls-port, ncat --ssl); no "
               "certificate is checked");
  app.add_flag("--allow-remote", config.allow_remote,
               "Allow a host that is not a loopback address (this is a load test)");
  app.add_flag("--no-greeting", raw.no_greeting,
               "Do not wait for a first line from the server before sending");
  app.add_option("--greeting-timeout", raw.greeting_timeout_s,
                 "Seconds to wait for every client's first line")
      ->capture_default_str()
      ->check(lochat::app::not_negative());
  app.add_option("--server-pid", raw.server_pid,
                 "Server process to measure from /proc (CPU time per delivery, context "
                 "switches per message, memory, threads)");
}

void add_load_flags(CLI::App& app, lochat::bench::BenchConfig& config, RawFlags& raw) {
  app.add_option("-c,--clients", config.clients, "Clients, each sending to all the others")
      ->capture_default_str();
  app.add_option("-m,--messages", config.messages, "Messages each client sends")
      ->capture_default_str();
  app.add_option("-s,--size", config.message_size, "Bytes per message, without the newline")
      ->capture_default_str();
  app.add_option("--rate", config.rate,
                 "Messages a second per client (0 = as fast as the window allows)")
      ->capture_default_str();
  app.add_option("--window", config.window,
                 "Messages a client may have sent that not every peer has received yet "
                 "(fixed, the same for every server)")
      ->capture_default_str();
  app.add_option("--lines-per-write", config.lines_per_write,
                 "Lines in each send(): 1 as a person, nc or a bot writes; more to batch "
                 "(at most --window)")
      ->capture_default_str();
  app.add_option("--stall-timeout", raw.stall_timeout_s,
                 "Give up when no delivery arrives for this many seconds")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--timeout", raw.timeout_s, "Seconds the whole run may take")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--connect-only", config.connect_only,
                 "Only open this many connections and count how many the server accepts");
  app.add_option("--hold", raw.hold_s, "With --connect-only: seconds to keep them open")
      ->capture_default_str()
      ->check(lochat::app::not_negative());
  app.add_flag("--json", raw.json, "Print the report as one line of JSON");
}

std::chrono::milliseconds to_ms(double seconds) {
  return std::chrono::milliseconds(static_cast<long>(seconds * 1000));
}

// One line on the terminal, rewritten in place, and wiped when the run ends.
void show_progress(const lochat::bench::BenchProgress& progress) {
  if (progress.finished) {
    std::fputs("\r\033[K", stderr);
    return;
  }
  const double elapsed = std::chrono::duration<double>(progress.elapsed).count();
  std::fprintf(
      stderr, "\rlochat-bench: %llu/%llu deliveries (%.0f%%), %.0f/s, %.1f s\033[K",
      static_cast<unsigned long long>(progress.delivered),
      static_cast<unsigned long long>(progress.expected),
      100.0 * static_cast<double>(progress.delivered) / static_cast<double>(progress.expected),
      static_cast<double>(progress.delivered) / elapsed, elapsed);
  std::fflush(stderr);
}

void apply(const RawFlags& raw, lochat::bench::BenchConfig& config) {
  config.greeting_timeout = to_ms(raw.greeting_timeout_s);
  config.stall_timeout = to_ms(raw.stall_timeout_s);
  config.timeout = to_ms(raw.timeout_s);
  config.hold = to_ms(raw.hold_s);
  config.expect_greeting = !raw.no_greeting;
  if (raw.server_pid > 0) config.server_pid = raw.server_pid;
  if (::isatty(STDERR_FILENO) != 0) config.on_progress = show_progress;
}

// Prints the report; the exit code is 0 only if the run passed.
template <typename Report>
int publish(const Report& report, bool json) {
  const auto text =
      json ? lochat::bench::format_json(report) + "\n" : lochat::bench::format_table(report);
  std::fputs(text.c_str(), stdout);
  return report.passed() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  lochat::bench::BenchConfig config;
  RawFlags raw;
  CLI::App app{"lochat-bench: load and delivery check for line-relay chat servers"};
  app.set_version_flag("--version", std::string("lochat-bench ") + LOCHAT_VERSION);
  app.footer(
      "Exit status: 0 if every delivery arrived intact and the server closed no client; 1 if "
      "not; 2 if the run could not start.");
  add_target_flags(app, config, raw);
  add_load_flags(app, config, raw);
  if (const int exit_code = lochat::app::parse_or_explain(app, argc, argv, "lochat-bench");
      exit_code >= 0) {
    return exit_code;
  }
  apply(raw, config);
  if (const auto problem = lochat::bench::config_problem(config); !problem.empty()) {
    std::fprintf(stderr, "lochat-bench: %s\n", problem.c_str());
    return 2;
  }
  // Each client is one descriptor; --connect-only 10000 needs far more than the usual 1024.
  lochat::raise_open_file_limit();
  try {
    if (config.connect_only > 0) return publish(lochat::bench::run_connect_only(config), raw.json);
    return publish(lochat::bench::run_bench(config), raw.json);
  } catch (const lochat::NetError& error) {
    std::fprintf(stderr, "lochat-bench: %s\n", error.what());
    return 2;
  }
}
