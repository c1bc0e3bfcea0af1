#!/usr/bin/env python3
"""Runs the same lochat-bench scenarios against lochat-server and `ncat --chat`,
alternating between them, each scenario REPEATS times, and writes the medians
as a markdown table (docs/BENCHMARKS.md by default).

Everything runs on 127.0.0.1. Both servers are started and stopped by this
script, by PID. Usage (after `make build`, with Debian's ncat installed):

    scripts/compare_with_ncat.py [--build build/default] [--repeats 3] [--out docs/BENCHMARKS.md]
"""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time

SCENARIOS = [
    # name, bench arguments
    ("2 clients x 20,000 messages", ["-c", "2", "-m", "20000"]),
    ("50 clients x 500 messages", ["-c", "50", "-m", "500"]),
    ("200 clients x 50 messages, 64-byte lines", ["-c", "200", "-m", "50", "--size", "64"]),
    ("1,000 connections held", ["--connect-only", "1000", "--hold", "5"]),
    ("10,000 connections held", ["--connect-only", "10000", "--hold", "5"]),
]


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_listening(port, deadline_s=10):
    until = time.monotonic() + deadline_s
    while time.monotonic() < until:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.05)
    return False


def start_lochat(build):
    port = free_port()
    process = subprocess.Popen(
        [f"{build}/apps/lochat-server", "--host", "127.0.0.1", "--port", str(port), "--rate", "0",
         "--no-discovery", "--history", "0", "--max-clients", "20000", "--log-level", "warn"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return process, port, []


def start_ncat(_build):
    port = free_port()
    process = subprocess.Popen(
        ["ncat", "-l", "127.0.0.1", str(port), "--chat", "--max-conns", "20000"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return process, port, ["--no-greeting"]


def stop(process):
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def run_bench(build, starter, arguments):
    process, port, extra = starter(build)
    try:
        if not wait_listening(port):
            return {"passed": False, "error": "server did not start"}
        command = [f"{build}/apps/lochat-bench", "--port", str(port), "--server-pid",
                   str(process.pid), "--json", "--timeout", "120"] + extra + arguments
        done = subprocess.run(command, capture_output=True, text=True, timeout=180)
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        if not lines:
            return {"passed": False, "error": (done.stderr.strip() or "no report")[:200]}
        report = json.loads(lines[-1])
        report["server_alive"] = process.poll() is None
        return report
    except subprocess.TimeoutExpired:
        return {"passed": False, "error": "bench timed out"}
    finally:
        stop(process)


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarize(reports):
    if all(r.get("mode") == "connect-only" for r in reports):
        return {
            "held": median([r.get("held") for r in reports]),
            "clients": reports[0].get("clients"),
            "bytes_per_client": median([(r.get("server") or {}).get("bytes_per_client") for r in reports]),
            "idle_cpu": median([(r.get("server") or {}).get("idle_cpu_percent") for r in reports]),
            "errors": [r.get("error") for r in reports if r.get("error")],
        }
    return {
        "rate": median([r.get("deliveries_per_s") for r in reports]),
        "p50": median([r.get("latency_us", {}).get("p50") for r in reports]),
        "p99": median([r.get("latency_us", {}).get("p99") for r in reports]),
        "p999": median([r.get("latency_us", {}).get("p99_9") for r in reports]),
        "cpu": median([(r.get("server") or {}).get("cpu_us_per_delivery") for r in reports]),
        "bad": sum(r.get("lost", 0) + r.get("duplicated", 0) + r.get("reordered", 0)
                   + r.get("corrupted", 0) for r in reports),
        "errors": [r.get("error") for r in reports if r.get("error")],
    }


def fmt(value, scale=1.0, digits=1):
    return "–" if value is None else f"{value / scale:,.{digits}f}"


def table(results):
    rows = ["| scenario | server | deliveries/s | p50 ms | p99 ms | p99.9 ms | server CPU µs/delivery | lost+dup+reord+corrupt |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    held = ["| scenario | server | held and greeted | server memory per client | idle server CPU, % of a core |",
            "| --- | --- | ---: | ---: | ---: |"]
    for name, by_server in results:
        for server, summary in by_server.items():
            note = f" ({'; '.join(summary['errors'])})" if summary["errors"] else ""
            if "held" in summary:
                held.append(f"| {name} | {server} | {fmt(summary['held'], digits=0)} of "
                            f"{summary['clients']}{note} | {fmt(summary['bytes_per_client'], 1024)} KiB | "
                            f"{fmt(summary['idle_cpu'], digits=2)} |")
            else:
                rows.append(f"| {name} | {server} | {fmt(summary['rate'], digits=0)} | "
                            f"{fmt(summary['p50'], 1000, 2)} | {fmt(summary['p99'], 1000, 2)} | "
                            f"{fmt(summary['p999'], 1000, 2)} | {fmt(summary['cpu'], digits=2)} | "
                            f"{summary['bad']}{note} |")
    return "\n".join(rows) + "\n\n" + "\n".join(held) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default="build/default")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default="docs/BENCHMARKS.md")
    options = parser.parse_args()
    if shutil.which("ncat") is None:
        sys.exit("ncat is not installed: apt-get install ncat")
    servers = [("lochat-server", start_lochat), ("ncat --chat", start_ncat)]
    results = []
    for name, arguments in SCENARIOS:
        reports = {server: [] for server, _ in servers}
        for repeat in range(options.repeats):
            for server, starter in servers:  # alternate, so drift hits both alike
                print(f"{name}: {server}, run {repeat + 1}", file=sys.stderr)
                reports[server].append(run_bench(options.build, starter, arguments))
        results.append((name, {server: summarize(r) for server, r in reports.items()}))
    cpu = re.sub(r"\s+", " ", open("/proc/cpuinfo").read().split("model name")[1].split(":")[1].split("\n")[0]).strip()
    header = (f"Machine: {os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}; "
              f"date: {datetime.date.today().isoformat()}; medians of {options.repeats} runs each, "
              f"lochat-server and ncat alternating.\n\n"
              f"Command: `scripts/compare_with_ncat.py --build {options.build} --repeats {options.repeats}`\n\n")
    write_between_markers(options.out, header + table(results))
    print(header + table(results))


BEGIN, END = "<!-- results: written by scripts/compare_with_ncat.py -->", "<!-- end of results -->"


def write_between_markers(path, results):
    """Replaces the results section of `path`, keeping the text around it."""
    text = open(path).read() if os.path.exists(path) else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    before, _, rest = text.partition(BEGIN)
    _, _, after = rest.partition(END)
    with open(path, "w") as out:
        out.write(f"{before}{BEGIN}\n{results}{END}{after}")


if __name__ == "__main__":
    main()
