#!/usr/bin/env python3
"""Re-runs the hardening issue's attacks against one build of lochat-server, for
the figures in docs/RELIABILITY.md. Everything goes to 127.0.0.1 (attack1b binds
its clients to 127.0.0.10-29, other loopback addresses); every loop is bounded in
time; the servers it starts are stopped by PID. Usage:

    scripts/hardening_attacks.py BUILD_DIR attack1 attack1b attack2 attack3 original attack4

(attack4 binds newcomers to 127.0.0.2-99: each is another machine to the server.)
"""
import socket, subprocess, sys, time, threading, os, select
build = sys.argv[1]
def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p
def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"): return int(line.split()[1])
def start(extra=()):
    port = free_port()
    p = subprocess.Popen([f"{build}/apps/lochat-server", "--host", "127.0.0.1", "--port", str(port), "--no-discovery", "--log-level", "warn", *extra],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try: socket.create_connection(("127.0.0.1", port)).close(); break
        except OSError: time.sleep(0.05)
    return p, port
def connect(port, rcvbuf=None, source=None):
    s = socket.socket()
    if rcvbuf: s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    if source: s.bind((source, 0))
    s.connect(("127.0.0.1", port)); return s
class Reader(threading.Thread):
    def __init__(self, sock):
        super().__init__(daemon=True); self.sock = sock; self.lines = []; self.buf = b""; self.closed = False; self.start()
    def run(self):
        while True:
            try: d = self.sock.recv(65536)
            except OSError: d = b""
            if not d: self.closed = True; return
            self.buf += d
            *done, self.buf = self.buf.split(b"\n"); self.lines += done
def attack1():
    srv, port = start(); time.sleep(0.3)
    before = rss_kib(srv.pid); s = connect(port, 4096); s.settimeout(1)
    burst = (b"x" * 4097 + b"\n") * 256; sent = 0; t0 = time.time(); cut = None
    while time.time() - t0 < 15:
        try: s.sendall(burst); sent += len(burst)
        except OSError: cut = time.time() - t0; break
    peak = rss_kib(srv.pid); srv.terminate(); srv.wait()
    print(f"attack 1a (overlong lines, never reads): sent {sent/1e6:.0f} MB in {min(time.time()-t0,15):.1f} s; server RSS {before} -> {peak} KiB; disconnected: {'after %.2f s' % cut if cut else 'no'}")
def attack1b():
    srv, port = start(); members = []
    for i in range(100):
        m = connect(port); m.sendall(("/nick " + "\U0001D41A" * 30 + f"{i:02x}" + "\n").encode()); members.append((m, Reader(m)))
    time.sleep(1.0); before = rss_kib(srv.pid)
    stallers = [connect(port, 4096, f"127.0.0.{10 + i}") for i in range(20)]
    t0 = time.time(); dropped = 0
    while time.time() - t0 < 10:
        for st in stallers:
            try: st.setblocking(False); st.send(b"/who\n")
            except OSError: pass
        time.sleep(1 / 9)
    after = rss_kib(srv.pid)
    for st in stallers:
        try:
            st.setblocking(True); st.settimeout(0.2); st.send(b"/who\n"); st.recv(1)
        except (ConnectionResetError, BrokenPipeError): dropped += 1
        except OSError: pass
    srv.terminate(); srv.wait()
    print(f"attack 1b (20 x /who at 9/s, never read, 100 long names online, 10 s): RSS {before} -> {after} KiB; stallers disconnected: {dropped} of 20")
def attack2():
    srv, port = start(); listener = connect(port); r = Reader(listener); time.sleep(0.5); r.lines.clear()
    t0 = time.time(); conns = 0
    while time.time() - t0 < 5:
        c = connect(port); c.sendall(b"".join(b"churn %d\n" % i for i in range(30))); c.shutdown(socket.SHUT_WR); c.close(); conns += 1
    threads = [l for l in open(f"/proc/{srv.pid}/status") if l.startswith("Threads:")][0].split()[1]
    time.sleep(1.0)
    relayed = sum(1 for l in r.lines if b": churn" in l); joins = sum(1 for l in r.lines if b" joined (" in l); leaves = sum(1 for l in r.lines if b" left (" in l)
    srv.terminate(); srv.wait()
    print(f"attack 2 (reconnect churn, 30 lines each, 5 s + 1 s): {conns} connections; relayed {relayed} lines = {relayed/6:.0f}/s; join notices {joins}, leave notices {leaves}; server threads at 5 s: {threads}")
def attack3():
    srv, port = start(); listener = connect(port); r = Reader(listener); time.sleep(0.3)
    p = subprocess.run(f"seq 1 100 | {build}/apps/lochat --host 127.0.0.1 --port {port} --name piper", shell=True, capture_output=True, timeout=60)
    time.sleep(0.5); got = sum(1 for l in r.lines if l.startswith(b"From piper: "))
    s = connect(port); rr = Reader(s); s.sendall(b"".join(b"nc %d\n" % i for i in range(100))); s.shutdown(socket.SHUT_WR)
    time.sleep(12); got_nc = sum(1 for l in r.lines if b": nc " in l)
    srv.terminate(); srv.wait()
    print(f"attack 3 (seq 1 100 | lochat): others got {got} of 100, lochat exit {p.returncode} {p.stderr.decode().strip()!r}; nc-style half-close: {got_nc} of 100")
def original():
    srv, port = start(); listener = connect(port); r = Reader(listener); time.sleep(0.3)
    o = connect(port); ro = Reader(o); time.sleep(0.5)
    for text in [b"hello", b"how are you", b"bye"]:
        o.sendall(text); time.sleep(0.5)
    time.sleep(0.5); srv.terminate(); srv.wait()
    print("original client:", [l.decode() for l in ro.lines], "| listener:", [l.decode() for l in r.lines if l.startswith(b"From")])
def first_line(sock):
    sock.settimeout(5)
    try: return sock.recv(300).decode(errors="replace").split("\n")[0]
    except OSError: return "(nothing)"
def attack4():
    srv, port = start(); held = []; t0 = time.time(); refusal = None
    for _ in range(1100):
        s = connect(port); line = first_line(s)
        if not line.startswith("Welcome"): refusal = line; s.close(); break
        held.append(s)
    took = time.time() - t0
    others = [(src, first_line(connect(port, source=src))) for src in ("127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5")]
    aliases = []
    for a in range(10, 40):
        for _ in range(3):
            s = connect(port, source=f"127.0.0.{a}")
            if first_line(s).startswith("Welcome"): aliases.append(s)
    last = first_line(connect(port, source="127.0.0.99"))
    srv.terminate(); srv.wait()
    print(f"attack 4 (one machine takes every place): {len(held)} idle connections from 127.0.0.1 in {took:.2f} s, then: {refusal}")
    print(f"  newcomers from other addresses: {others}")
    print(f"  after {len(aliases)} more from 30 aliases: 127.0.0.99 reads {last!r}")
for f in sys.argv[2:]: globals()[f]()
