// lochat-bench's reports: the server's /proc figures, and the human table and
// one-line JSON for both kinds of run.
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "bench_internal.hpp"
#include "lochat/bench.hpp"
#include "lochat/net/socket.hpp"

namespace lochat::bench {

using std::chrono::nanoseconds;

// --- Server process ---------------------------------------------------------

namespace {

// The context switches of one thread, from its /proc/PID/task/TID/status.
std::uint64_t thread_context_switches(const std::filesystem::path& task) {
  std::ifstream status(task / "status");
  std::uint64_t total = 0;
  std::string key;
  while (status >> key) {
    if (key == "voluntary_ctxt_switches:" || key == "nonvoluntary_ctxt_switches:") {
      std::uint64_t count = 0;
      status >> count;
      total += count;
    }
  }
  return total;
}

std::uint64_t context_switches(const std::string& process_directory) {
  std::error_code error;
  std::uint64_t total = 0;
  for (const auto& task : std::filesystem::directory_iterator(process_directory + "/task", error)) {
    total += thread_context_switches(task.path());
  }
  return total;
}

}  // namespace

std::optional<ProcessStats> read_process_stats(pid_t pid) {
  const auto directory = "/proc/" + std::to_string(pid);
  std::ifstream stat_file(directory + "/stat");
  std::string stat;
  if (!std::getline(stat_file, stat)) return std::nullopt;
  // Fields 14 and 15 (utime, stime) count from after the command name, which may hold blanks.
  std::istringstream after_name(stat.substr(stat.rfind(')') + 1));
  constexpr int kFieldsBeforeUtime = 11;  // fields 3..13
  std::string skipped;
  for (int field = 0; field < kFieldsBeforeUtime; ++field) after_name >> skipped;
  std::uint64_t user_ticks = 0;
  std::uint64_t system_ticks = 0;
  after_name >> user_ticks >> system_ticks;
  const auto ticks_per_second = static_cast<std::uint64_t>(::sysconf(_SC_CLK_TCK));
  ProcessStats stats;
  stats.cpu = nanoseconds(
      static_cast<std::int64_t>((user_ticks + system_ticks) * 1'000'000'000 / ticks_per_second));

  std::ifstream status(directory + "/status");
  std::string key;
  while (status >> key) {
    constexpr std::uint64_t kKib = 1024;
    if (key == "VmRSS:") {
      status >> stats.rss_bytes;
      stats.rss_bytes *= kKib;
    } else if (key == "Threads:") {
      status >> stats.threads;
    }
  }
  stats.context_switches = context_switches(directory);
  return stats;
}

double BenchReport::deliveries_per_second() const {
  const auto span = seconds(elapsed);
  return span > 0 ? static_cast<double>(counts.delivered) / span : 0;
}

std::optional<ServerCost> BenchReport::server_cost() const {
  if (!server_before || !server_after) return std::nullopt;
  ServerCost cost;
  cost.cpu = server_after->cpu - server_before->cpu;
  const auto per = [](double amount, std::uint64_t count) {
    return count > 0 ? amount / static_cast<double>(count) : 0;
  };
  cost.cpu_us_per_delivery = per(static_cast<double>(cost.cpu.count()) / 1e3, counts.delivered);
  // A thread that ended during the run took its count along, so this may not go up.
  cost.context_switches = server_after->context_switches > server_before->context_switches
                              ? server_after->context_switches - server_before->context_switches
                              : 0;
  cost.context_switches_per_message = per(static_cast<double>(cost.context_switches), sent);
  return cost;
}

// --- Reports ----------------------------------------------------------------

namespace {

std::string duration_text(nanoseconds duration) {
  const auto ns = static_cast<double>(duration.count());
  if (ns < 1e3) return fmt::format("{:.0f} ns", ns);
  if (ns < 1e6) return fmt::format("{:.1f} us", ns / 1e3);
  if (ns < 1e9) return fmt::format("{:.2f} ms", ns / 1e6);
  return fmt::format("{:.2f} s", ns / 1e9);
}

std::string bytes_text(double bytes) {
  constexpr double kKib = 1024;
  if (bytes < kKib) return fmt::format("{:.0f} B", bytes);
  if (bytes < kKib * kKib) return fmt::format("{:.1f} KiB", bytes / kKib);
  return fmt::format("{:.1f} MiB", bytes / kKib / kKib);
}

std::string json_string(std::string_view text) {
  std::string quoted = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      quoted.push_back('\\');
      quoted.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      quoted += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
    } else {
      quoted.push_back(c);
    }
  }
  return quoted + "\"";
}

double microseconds(nanoseconds duration) {
  return static_cast<double>(duration.count()) / 1e3;
}

std::string target_text(const BenchConfig& config) {
  return Endpoint{config.host, config.port}.to_string();
}

// For the table: where the clients went, and how.
std::string route_text(const BenchConfig& config) {
  return target_text(config) + (config.tls ? " over TLS" : "");
}

std::string rate_text(double rate) {
  return rate > 0 ? fmt::format("{}/s per client", rate) : "unlimited";
}

std::string verdict_text(const BenchReport& report) {
  if (report.passed())
    return fmt::format("PASS: all {} deliveries arrived intact", report.expected);
  if (report.disconnected > 0)
    return fmt::format("FAIL: the server closed {} of the clients", report.disconnected);
  if (report.counts.errors() > 0)
    return "FAIL: deliveries lost, duplicated, reordered or corrupted";
  return "FAIL: ran out of time (--timeout, or nothing arrived for --stall-timeout)";
}

std::string lines_per_write_text(std::size_t lines) {
  return lines == 1 ? "1 line per write" : fmt::format("{} lines per write (batch)", lines);
}

// The server's cost and size at the end, for the table's "server" line.
std::string server_line(const ServerCost& cost, const ProcessStats& after) {
  return fmt::format(
      "cpu {} ({:.3f} us per delivery)   context switches {} ({:.3f} per message)   rss {}   "
      "threads {}",
      duration_text(cost.cpu), cost.cpu_us_per_delivery, cost.context_switches,
      cost.context_switches_per_message, bytes_text(static_cast<double>(after.rss_bytes)),
      after.threads);
}

std::string server_json(const BenchReport& report) {
  const auto cost = report.server_cost();
  if (!cost) return "null";
  return fmt::format(R"({{"cpu_s":{:.3f},"cpu_us_per_delivery":{:.3f},"context_switches":{},)"
                     R"("context_switches_per_message":{:.4f},"rss_bytes":{},"threads":{}}})",
                     seconds(cost->cpu), cost->cpu_us_per_delivery, cost->context_switches,
                     cost->context_switches_per_message, report.server_after->rss_bytes,
                     report.server_after->threads);
}

}  // namespace

std::string format_table(const BenchReport& report) {
  const auto& config = report.config;
  const auto& counts = report.counts;
  const auto& latency = report.latency;
  std::string table = fmt::format(
      "lochat-bench: {} clients x {} messages of {} bytes -> {} (window {}, {}, rate {})\n",
      config.clients, config.messages, config.message_size, route_text(config), config.window,
      lines_per_write_text(config.lines_per_write), rate_text(config.rate));
  table += fmt::format("  result       {}\n", verdict_text(report));
  table += fmt::format("  deliveries   {} of {} in {:.2f} s = {:.0f}/s   (sent {} of {})\n",
                       counts.delivered, report.expected, seconds(report.elapsed),
                       report.deliveries_per_second(), report.sent, report.planned);
  table += fmt::format("  latency      p50 {}   p99 {}   p99.9 {}   max {}\n",
                       duration_text(latency.p50), duration_text(latency.p99),
                       duration_text(latency.p999), duration_text(latency.max));
  table += fmt::format("  errors       lost {}   duplicated {}   reordered {}   corrupted {}\n",
                       counts.lost, counts.duplicated, counts.reordered, counts.corrupted);
  table += fmt::format(
      "  clients      greeted {} of {}   closed by the server {}   echoed {}   foreign {}\n",
      report.greeted, config.clients, report.disconnected, counts.echoed, counts.foreign);
  if (const auto cost = report.server_cost()) {
    table += "  server       " + server_line(*cost, *report.server_after) + "\n";
  }
  return table;
}

std::string format_json(const BenchReport& report) {
  const auto& config = report.config;
  const auto& counts = report.counts;
  const auto& latency = report.latency;
  return fmt::format(
      R"({{"mode":"messages","target":{},"tls":{},"clients":{},"messages":{},"size":{},"window":{},)"
      R"("lines_per_write":{},"rate":{},"passed":{},"finished":{},"greeted":{},)"
      R"("disconnected":{},"planned":{},"sent":{},"expected":{},"delivered":{},"lost":{},)"
      R"("duplicated":{},"reordered":{},"corrupted":{},"echoed":{},"foreign":{},)"
      R"("elapsed_s":{:.3f},"deliveries_per_s":{:.0f},)"
      R"("latency_us":{{"p50":{:.1f},"p99":{:.1f},"p99_9":{:.1f},"max":{:.1f}}},"server":{}}})",
      json_string(target_text(config)), config.tls, config.clients, config.messages,
      config.message_size, config.window, config.lines_per_write, config.rate, report.passed(),
      report.finished, report.greeted, report.disconnected, report.planned, report.sent,
      report.expected, counts.delivered, counts.lost, counts.duplicated, counts.reordered,
      counts.corrupted, counts.echoed, counts.foreign, seconds(report.elapsed),
      report.deliveries_per_second(), microseconds(latency.p50), microseconds(latency.p99),
      microseconds(latency.p999), microseconds(latency.max), server_json(report));
}

namespace {

double bytes_per_client(const ConnectReport& report) {
  if (!report.server_before || !report.server_after || report.held == 0) return 0;
  const auto before = static_cast<double>(report.server_before->rss_bytes);
  const auto after = static_cast<double>(report.server_after->rss_bytes);
  return (after - before) / static_cast<double>(report.held);
}

}  // namespace

std::optional<double> ConnectReport::idle_cpu_percent() const {
  if (!server_hold_start || !server_after || held_for.count() <= 0) return std::nullopt;
  const auto cpu = server_after->cpu - server_hold_start->cpu;
  return 100.0 * static_cast<double>(cpu.count()) / static_cast<double>(held_for.count());
}

std::string format_table(const ConnectReport& report) {
  const auto& config = report.config;
  std::string table = fmt::format("lochat-bench: connect-only {} clients -> {}, hold {:.1f} s\n",
                                  config.connect_only, route_text(config), seconds(config.hold));
  table += fmt::format("  result       {}\n", report.passed() ? "PASS: every client was accepted"
                                                              : "FAIL: not every client was held");
  table += fmt::format("  connections  connected {}   greeted {}   held {}   closed by server {}\n",
                       report.connected, report.greeted, report.held, report.closed);
  if (!report.connect_error.empty()) table += "  stopped      " + report.connect_error + "\n";
  if (report.server_before && report.server_after) {
    table += fmt::format("  server       rss {} -> {} = {} per client   threads {}\n",
                         bytes_text(static_cast<double>(report.server_before->rss_bytes)),
                         bytes_text(static_cast<double>(report.server_after->rss_bytes)),
                         bytes_text(bytes_per_client(report)), report.server_after->threads);
  }
  if (const auto idle = report.idle_cpu_percent()) {
    table += fmt::format("  idle cpu     {:.2f} % of a core while the clients were held\n", *idle);
  }
  return table;
}

std::string format_json(const ConnectReport& report) {
  const auto& config = report.config;
  const auto server =
      report.server_before && report.server_after
          ? fmt::format(
                R"({{"rss_before":{},"rss_after":{},"bytes_per_client":{:.0f},"threads":{},)"
                R"("idle_cpu_percent":{:.3f}}})",
                report.server_before->rss_bytes, report.server_after->rss_bytes,
                bytes_per_client(report), report.server_after->threads,
                report.idle_cpu_percent().value_or(0))
          : std::string("null");
  return fmt::format(
      R"({{"mode":"connect-only","target":{},"tls":{},"clients":{},"hold_s":{:.1f},"passed":{},)"
      R"("connected":{},"greeted":{},"held":{},"closed":{},"error":{},"server":{}}})",
      json_string(target_text(config)), config.tls, config.connect_only, seconds(config.hold),
      report.passed(), report.connected, report.greeted, report.held, report.closed,
      json_string(report.connect_error), server);
}

}  // namespace lochat::bench
