#!/usr/bin/env python3
"""Runs the same lochat-bench scenarios against lochat-server and `ncat --chat`,
alternating between them, each scenario REPEATS times, and writes the medians
as a markdown table (docs/BENCHMARKS.md by default).

The TLS scenarios (named "TLS: ...") run four servers in alternation:
lochat-server in clear and on its TLS port, `ncat --chat` and
`ncat --chat --ssl` (with its own throwaway certificate), so that each
server's TLS figure stands beside its own plain one from the same run. Their
table has markers of its own: running only them (--only TLS) leaves the plain
table as it is, and the other way round.

Everything runs on 127.0.0.1. The servers are started and stopped by this
script, by PID, one fresh server per run. Usage (after `make build`, with
Debian's ncat installed):

    scripts/compare_with_ncat.py [--build build/default] [--repeats 3]
                                 [--only SUBSTRING] [--out docs/BENCHMARKS.md]
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
import tempfile
import time

# name, bench arguments. Every client writes one line per send() (lochat-bench's
# default, as people, nc and bots do) unless the name says "batch".
SCENARIOS = [
    ("2 clients x 20,000, window 64", ["-c", "2", "-m", "20000", "--window", "64"]),
    ("50 clients x 500, window 4", ["-c", "50", "-m", "500", "--window", "4"]),
    ("50 clients x 500, window 16", ["-c", "50", "-m", "500", "--window", "16"]),
    ("200 clients x 50, 64-byte lines, window 6",
     ["-c", "200", "-m", "50", "--size", "64", "--window", "6"]),
    ("200 clients x 50, 64-byte lines, window 64",
     ["-c", "200", "-m", "50", "--size", "64", "--window", "64"]),
    ("busy room: 50 clients at 20 lines/s each for 10 s",
     ["-c", "50", "-m", "200", "--rate", "20", "--window", "16"]),
    ("batch: 50 clients x 500, window 16, 16 lines per write",
     ["-c", "50", "-m", "500", "--window", "16", "--lines-per-write", "16"]),
    ("1,000 connections held", ["--connect-only", "1000", "--hold", "5"]),
    ("10,000 connections held", ["--connect-only", "10000", "--hold", "5"]),
    # One line per write and lochat-bench's own window (16), as in clear: TLS
    # changes what each server pays per delivery, not the load.
    ("TLS: 2 clients x 20,000", ["-c", "2", "-m", "20000"]),
    ("TLS: 50 clients x 500", ["-c", "50", "-m", "500"]),
    ("TLS: 200 clients x 30, 64-byte lines", ["-c", "200", "-m", "30", "--size", "64"]),
]


def free_ports(count):
    """Ports free now, all different: the probes are held open together."""
    probes = [socket.socket() for _ in range(count)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in probes]
    finally:
        for probe in probes:
            probe.close()


def free_port():
    return free_ports(1)[0]


def wait_listening(port, deadline_s=10):
    until = time.monotonic() + deadline_s
    while time.monotonic() < until:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.05)
    return False


# No web port: by default it is the port + 2, which another process may hold,
# and the server would not start.
LOCHAT_FLAGS = ["--host", "127.0.0.1", "--rate", "0", "--no-discovery", "--history", "0",
                "--max-clients", "20000", "--web-port", "0", "--log-level", "warn"]
# lochat-server's key and certificate for the TLS runs: made by the first, kept for the rest.
STATE_DIRECTORY = tempfile.mkdtemp(prefix="lochat-compare-")


def start_lochat(build):
    port = free_port()
    process = subprocess.Popen(
        [f"{build}/apps/lochat-server", "--port", str(port), "--no-tls"] + LOCHAT_FLAGS,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return process, port, []


def start_lochat_tls(build):
    port, tls_port = free_ports(2)
    process = subprocess.Popen(
        [f"{build}/apps/lochat-server", "--port", str(port), "--tls-port", str(tls_port),
         "--state-dir", STATE_DIRECTORY] + LOCHAT_FLAGS,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return process, tls_port, ["--tls"]


def start_ncat(_build, ssl=False):
    port = free_port()
    process = subprocess.Popen(
        ["ncat", "-l", "127.0.0.1", str(port), "--chat", "--max-conns", "20000"]
        + (["--ssl"] if ssl else []),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return process, port, ["--no-greeting"] + (["--tls"] if ssl else [])


def start_ncat_ssl(build):
    return start_ncat(build, ssl=True)


# The servers each kind of scenario compares, in the order they alternate.
PLAIN_SERVERS = [("lochat-server", start_lochat), ("ncat --chat", start_ncat)]
TLS_SERVERS = [("lochat-server", start_lochat), ("lochat-server TLS", start_lochat_tls),
               ("ncat --chat", start_ncat), ("ncat --chat --ssl", start_ncat_ssl)]


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


def server_figure(report, key):
    return (report.get("server") or {}).get(key)


def summarize(reports, connect_only):
    errors = [r.get("error") for r in reports if r.get("error")]
    failed = sum(1 for r in reports if not r.get("passed"))
    if connect_only:
        return {
            "held": median([r.get("held") for r in reports]),
            "clients": next((r["clients"] for r in reports if "clients" in r), None),
            "bytes_per_client": median([server_figure(r, "bytes_per_client") for r in reports]),
            "idle_cpu": median([server_figure(r, "idle_cpu_percent") for r in reports]),
            "errors": errors,
        }
    return {
        "rate": median([r.get("deliveries_per_s") for r in reports]),
        "p50": median([r.get("latency_us", {}).get("p50") for r in reports]),
        "p99": median([r.get("latency_us", {}).get("p99") for r in reports]),
        "p999": median([r.get("latency_us", {}).get("p99_9") for r in reports]),
        "cpu": median([server_figure(r, "cpu_us_per_delivery") for r in reports]),
        "switches": median([server_figure(r, "context_switches_per_message") for r in reports]),
        "dropped": sum(r.get("disconnected", 0) for r in reports),
        "bad": sum(r.get("lost", 0) + r.get("duplicated", 0) + r.get("reordered", 0)
                   + r.get("corrupted", 0) for r in reports),
        "errors": errors + ([f"{failed} of {len(reports)} runs failed"] if failed else []),
    }


def fmt(value, scale=1.0, digits=1):
    return "–" if value is None else f"{value / scale:,.{digits}f}"


def ratio(ours, theirs):
    return "–" if not ours or not theirs else f"{ours / theirs:.2f}×"


MESSAGE_HEADER = [
    "| scenario | server | deliveries/s | p50 ms | p99 ms | p99.9 ms | server CPU µs/delivery "
    "| server context switches per message | clients dropped (all runs) "
    "| lost+dup+reord+corrupt (all runs) |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
HELD_HEADER = [
    "| scenario | server | held and greeted | server memory per client | idle server CPU, % of a core |",
    "| --- | --- | ---: | ---: | ---: |"]


def message_row(name, server, summary, note):
    return (f"| {name} | {server} | {fmt(summary['rate'], digits=0)} | "
            f"{fmt(summary['p50'], 1000, 2)} | {fmt(summary['p99'], 1000, 2)} | "
            f"{fmt(summary['p999'], 1000, 2)} | {fmt(summary['cpu'], digits=2)} | "
            f"{fmt(summary['switches'], digits=3)} | {summary['dropped']} | {summary['bad']}{note} |")


def ratio_row(name, label, ours, theirs):
    return (f"| {name} | {label} | {ratio(ours['rate'], theirs['rate'])} | | "
            f"{ratio(ours['p99'], theirs['p99'])} | | {ratio(ours['cpu'], theirs['cpu'])} | | | |")


def ratio_rows(name, by_server):
    """lochat against ncat; for TLS also each server's TLS figure against its plain one."""
    if "lochat-server TLS" not in by_server:
        return [ratio_row(name, "lochat / ncat", by_server["lochat-server"],
                          by_server["ncat --chat"])]
    tls, ssl = by_server["lochat-server TLS"], by_server["ncat --chat --ssl"]
    return [ratio_row(name, "lochat TLS / ncat --ssl", tls, ssl),
            ratio_row(name, "lochat TLS / lochat plain", tls, by_server["lochat-server"]),
            ratio_row(name, "ncat --ssl / ncat plain", ssl, by_server["ncat --chat"])]


def held_row(name, server, summary, note):
    return (f"| {name} | {server} | {fmt(summary['held'], digits=0)} of "
            f"{fmt(summary['clients'], digits=0)}{note} | "
            f"{fmt(summary['bytes_per_client'], 1024)} KiB | {fmt(summary['idle_cpu'], digits=2)} |")


def table(results):
    """The message scenarios' table, with a lochat / ncat row each, and the held connections'."""
    rows, held = list(MESSAGE_HEADER), list(HELD_HEADER)
    for name, connect_only, by_server in results:
        for server, summary in by_server.items():
            note = f" ({'; '.join(summary['errors'])})" if summary["errors"] else ""
            if connect_only:
                held.append(held_row(name, server, summary, note))
            else:
                rows.append(message_row(name, server, summary, note))
        if not connect_only:
            rows.extend(ratio_rows(name, by_server))
    sections = [section for section in (rows, held) if len(section) > 2]
    return "\n\n".join("\n".join(section) for section in sections) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default="build/default")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", metavar="SUBSTRING",
                        help="run only the scenarios whose name contains SUBSTRING")
    parser.add_argument("--out", default="docs/BENCHMARKS.md")
    options = parser.parse_args()
    if shutil.which("ncat") is None:
        sys.exit("ncat is not installed: apt-get install ncat")
    if options.repeats < 1:
        sys.exit("--repeats must be at least 1")
    scenarios = [(name, arguments) for name, arguments in SCENARIOS
                 if options.only is None or options.only in name]
    if not scenarios:
        sys.exit(f"no scenario's name contains {options.only!r}")
    results = []
    for name, arguments in scenarios:
        servers = TLS_SERVERS if name.startswith("TLS") else PLAIN_SERVERS
        reports = {server: [] for server, _ in servers}
        for repeat in range(options.repeats):
            for server, starter in servers:  # alternate, so drift hits both alike
                print(f"{name}: {server}, run {repeat + 1}", file=sys.stderr)
                reports[server].append(run_bench(options.build, starter, arguments))
        connect_only = "--connect-only" in arguments
        results.append((name, connect_only,
                         {server: summarize(r, connect_only) for server, r in reports.items()}))
    cpu = re.sub(r"\s+", " ", open("/proc/cpuinfo").read().split("model name")[1].split(":")[1].split("\n")[0]).strip()
    only = f" --only '{options.only}'" if options.only is not None else ""
    header = (f"Machine: {os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}; "
              f"date: {datetime.date.today().isoformat()}; medians of {options.repeats} runs each, "
              f"the servers alternating, a fresh server for every run.\n\n"
              f"Command: `scripts/compare_with_ncat.py --build {options.build} "
              f"--repeats {options.repeats}{only}`\n\n")
    shutil.rmtree(STATE_DIRECTORY, ignore_errors=True)
    for kind, markers in MARKERS.items():
        ran = [result for result in results if result[0].startswith("TLS") == (kind == "tls")]
        if ran:
            write_between_markers(options.out, markers, header + table(ran))
            print(header + table(ran))


# Each kind of scenario has its own section of the page, so running one kind keeps the other's.
MARKERS = {
    "plain": ("<!-- results: written by scripts/compare_with_ncat.py -->", "<!-- end of results -->"),
    "tls": ("<!-- TLS results: written by scripts/compare_with_ncat.py -->",
            "<!-- end of TLS results -->"),
}


def write_between_markers(path, markers, results):
    """Replaces the section of `path` between `markers` (added at the end if absent),
    keeping the text around it."""
    begin, end = markers
    text = open(path).read() if os.path.exists(path) else "# Benchmarks\n"
    if begin not in text:
        text += f"\n{begin}\n{end}\n"
    before, _, rest = text.partition(begin)
    _, _, after = rest.partition(end)
    with open(path, "w") as out:
        out.write(f"{before}{begin}\n{results}{end}{after}")


if __name__ == "__main__":
    main()
