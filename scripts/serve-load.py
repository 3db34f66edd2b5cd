#!/usr/bin/env python3
# Loopback load test of `waymark serve`: a bounded number of HTTP requests from
# worker threads, live-reload clients held open, rebuilds triggered meanwhile.
# Usage: scripts/serve-load.py WAYMARK_BINARY SITE_COPY   (env: N requests, LIVE clients)
# SITE_COPY must be a throwaway copy: the script edits a roadmap title in it.
import os, socket, sys, threading, time, subprocess, re, tempfile, shutil
binary, site = sys.argv[1], sys.argv[2]
proc = subprocess.Popen([binary, "serve", "--root", site, "--port", "0"], stderr=subprocess.PIPE, text=True)
port = None
for line in proc.stderr:
    m = re.search(r"at http://127\.0\.0\.1:(\d+)/", line)
    if m: port = int(m.group(1)); break
threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()
def status_of(path, host="127.0.0.1"):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk: break
        data += chunk
    s.close()
    return int(data[9:12]) if data.startswith(b"HTTP/1.1") else 0
pages = ["/", "/roadmaps/machine-learning/", "/roadmaps/machine-learning/mathematics/", "/style.css", "/search-index.json", "/no/such/"]
# Live-reload clients held open during the run.
live = []
for _ in int(os.environ.get("LIVE", "50")) * [0]:
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"GET /__waymark/live HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
    live.append(s if s.recv(12) == b"HTTP/1.1 101" else None)
ok_live = sum(1 for s in live if s)
results, lock = {"ok": 0, "err": 0}, threading.Lock()
N, T = int(os.environ.get("N", "4000")), 8
def worker(i):
    for k in range(N // T):
        try:
            st = status_of(pages[(i + k) % len(pages)])
            good = st in (200, 404)
        except Exception:
            good = False
        with lock: results["ok" if good else "err"] += 1
def rebuilds(stop):
    f = os.path.join(site, "content/roadmaps/machine-learning/roadmap.yaml"); orig = open(f).read(); n = 0
    while not stop.is_set():
        open(f, "w").write(orig.replace("title: Machine Learning", f"title: Machine Learning {n}", 1)); n += 1; time.sleep(0.3)
    open(f, "w").write(orig); return n
stop = threading.Event(); rb = {}
t_rb = threading.Thread(target=lambda: rb.update(n=rebuilds(stop))); t_rb.start()
threads_seen, rss_seen = [], []
def sample():
    while not stop.is_set():
        st = open(f"/proc/{proc.pid}/status").read()
        threads_seen.append(int(re.search(r"Threads:\s+(\d+)", st).group(1))); rss_seen.append(int(re.search(r"VmRSS:\s+(\d+)", st).group(1)))
        time.sleep(0.1)
t_s = threading.Thread(target=sample); t_s.start()
start = time.time()
ws = [threading.Thread(target=worker, args=(i,)) for i in range(T)]
[w.start() for w in ws]; [w.join() for w in ws]
elapsed = time.time() - start
stop.set(); t_rb.join(); t_s.join()
foreign = status_of("/", host="attacker.example")
print(f"requests={results['ok']+results['err']} ok={results['ok']} errors={results['err']} seconds={elapsed:.1f} rps={(results['ok']+results['err'])/elapsed:.0f}")
print(f"live_clients_open={ok_live} rebuild_saves={rb.get('n')} threads_max={max(threads_seen)} rss_max_mib={max(rss_seen)/1024:.1f} foreign_host_status={foreign}")
proc.kill()
