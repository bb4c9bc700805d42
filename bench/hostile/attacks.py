"""The hostile clients of bench/hostile, one after another against a running server.

argv: port, server pid, tokens of a monitor, an analyst, the chief and a witness.
Each attack prints one line: what was sent, what came back, how long, and the server's RSS."""
import json, socket, sys, threading, time, urllib.request

port, pid = int(sys.argv[1]), int(sys.argv[2])
monitor, analyst, chief, witness = sys.argv[3:7]
BASE = f"http://127.0.0.1:{port}"


def rss_mb():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
    return 0.0


def request(method, path, token=None, body=None, ctype=None, timeout=120):
    req = urllib.request.Request(BASE + path, data=body, method=method)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    if ctype:
        req.add_header("Content-Type", ctype)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read(), dict(e.headers)


def say(name, what, t0, before):
    print(f"{name:<34} {what:<78} {time.time() - t0:6.2f} s  RSS {before:6.0f} -> {rss_mb():6.0f} MB",
          flush=True)


def raw(data, read=True, timeout=30):
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(timeout)
    try:
        s.sendall(data)
    except OSError:
        pass
    out = b""
    if read:
        try:
            while True:
                b = s.recv(65536)
                if not b:
                    break
                out += b
        except OSError:
            pass
    s.close()
    return out


def status_of(resp):
    try:
        return int(resp.split(b" ")[1])
    except (IndexError, ValueError):
        return 0


print(f"{'attack':<34} {'what the server did':<78} {'time':>8}  memory")

# 1. A cosignature of a gigabyte.
t0, before = time.time(), rss_mb()
s = socket.create_connection(("127.0.0.1", port))
s.sendall(f"POST /api/v1/log/cosignature HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {witness}\r\n"
          f"Content-Type: text/plain\r\nContent-Length: {1 << 30}\r\n\r\n".encode())
sent, chunk = 0, b"a" * (1 << 20)
try:
    while sent < (1 << 30):
        s.sendall(chunk)
        sent += len(chunk)
except OSError:
    pass
s.settimeout(5)
try:
    head = s.recv(4096)
except OSError:
    head = b""
s.close()
say("1 GiB POST /log/cosignature", f"answered {status_of(head) or 'closed'} after {sent >> 20} MiB sent", t0, before)

# 2. 100 slowloris connections: a header line every second.
t0, before = time.time(), rss_mb()
conns = []
for _ in range(100):
    c = socket.create_connection(("127.0.0.1", port))
    c.sendall(b"GET /api/v1/healthz HTTP/1.1\r\nHost: x\r\n")
    conns.append(c)
alive = len(conns)
while alive and time.time() - t0 < 60:
    time.sleep(1)
    alive = 0
    for c in conns:
        try:
            c.sendall(b"X-Slow: 1\r\n")
            c.setblocking(False)
            try:
                if c.recv(1) == b"":
                    raise OSError
            except BlockingIOError:
                pass
            c.setblocking(True)
            alive += 1
        except OSError:
            pass
for c in conns:
    c.close()
say("100 slowloris connections", f"all closed by the server after {time.time() - t0:.0f} s (header deadline)"
    if alive == 0 else f"{alive} still open after 60 s", t0, before)

# 3. 20,100 silent connections, then /healthz and the chief, then an analyst.
t0, before = time.time(), rss_mb()
silent, refused = [], 0
import resource
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 40000), hard))
for _ in range(min(20100, min(hard, 40000) - 200)):
    try:
        silent.append(socket.create_connection(("127.0.0.1", port), timeout=2))
    except OSError:
        refused += 1
opened = time.time() - t0
h0 = time.time()
hz = request("GET", "/healthz", timeout=10)[0]
hz_t = time.time() - h0
ch = request("GET", "/api/v1/summary", token=chief, timeout=10)[0]
an = request("GET", "/api/v1/summary", token=analyst, timeout=10)[0]
held = 0
for c in silent:
    c.setblocking(False)
    try:
        if c.recv(1) == b"":
            continue
    except BlockingIOError:
        held += 1
    except OSError:
        continue
for c in silent:
    c.close()
say("20,100 silent connections", f"{held} held open (of {len(silent)}); /healthz {hz} in {hz_t * 1000:.0f} ms, "
    f"chief {ch}, analyst {an}", t0, before)
time.sleep(2)

# 4. 100 concurrent restricted HTML reports of the busiest day.
t0, before = time.time(), rss_mb()
times, codes, peak = [], [], [before]
def one():
    t = time.time()
    c, _, _ = request("GET", "/api/v1/reports/daily/2026-11-24?format=html&audience=restricted", token=analyst)
    times.append(time.time() - t)
    codes.append(c)
threads = [threading.Thread(target=one) for _ in range(100)]
for th in threads:
    th.start()
while any(th.is_alive() for th in threads):
    peak.append(rss_mb())
    time.sleep(0.1)
times.sort()
say("100 restricted HTML reports at once", f"{codes.count(200)} answered 200, slowest {times[-1]:.2f} s, median "
    f"{times[len(times) // 2]:.2f} s, peak RSS {max(peak):.0f} MB", t0, before)

# 5. The same 100 after an observation arrives (the data changed: one new computation).
request("POST", "/api/v1/observations", token=monitor, ctype="application/json",
        body=json.dumps({"id": "hostile-1", "observer": "op7", "time": "2026-11-24T12:00:00Z",
                         "kind": "explosion", "observer_position": {"lon": 37.75, "lat": 48.05}}).encode())
t0, before = time.time(), rss_mb()
times.clear(); codes.clear()
threads = [threading.Thread(target=one) for _ in range(100)]
for th in threads:
    th.start()
for th in threads:
    th.join()
times.sort()
say("  again after a new observation", f"{codes.count(200)} answered 200, slowest {times[-1]:.2f} s", t0, before)

# 6. Rate: one account from 8 kept-alive connections, 4,000 cheap reads as fast as they go.
import http.client
t0, before = time.time(), rss_mb()
counts, lock = {}, threading.Lock()
def flood():
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for _ in range(500):
        c.request("GET", "/api/v1/observations?limit=1", headers={"Authorization": f"Bearer {analyst}"})
        r = c.getresponse()
        r.read()
        with lock:
            counts[r.status] = counts.get(r.status, 0) + 1
            if r.status == 429:
                counts["retry_after"] = r.getheader("Retry-After")
threads = [threading.Thread(target=flood) for _ in range(8)]
for th in threads:
    th.start()
for th in threads:
    th.join()
rate = 4000 / (time.time() - t0)
say("4,000 reads from one account", f"{rate:,.0f}/s asked; answers {counts}", t0, before)

# 7. Strict input. The flood above emptied this address's bucket (burst 2,000 at 1,000/s):
# waited for it to fill again, so that what is measured is the input's refusal, not the rate's.
time.sleep(3)
t0, before = time.time(), rss_mb()
cases = {
    "duplicate id": ("POST", "/api/v1/observations", b'{"id":"a","id":"b","observer":"op7","time":"2026-11-24T10:00:00Z","kind":"explosion"}'),
    "notes \\u0000": ("POST", "/api/v1/observations", b'{"id":"c1","observer":"op7","time":"2026-11-24T10:00:00Z","kind":"explosion","notes":"a\\u0000b"}'),
    "id ..": ("POST", "/api/v1/observations", b'{"id":"..","observer":"op7","time":"2026-11-24T10:00:00Z","kind":"explosion"}'),
    "cursor 2^63": ("GET", "/api/v1/observations?cursor=9223372036854775808", None),
    "bbox with x": ("GET", "/api/v1/observations?bbox=37,48,x,39,49", None),
    "DELETE /summary": ("DELETE", "/api/v1/summary", None),
}
out = []
for name, (m, p, b) in cases.items():
    c, body, _ = request(m, p, token=monitor if m == "POST" else chief, body=b,
                         ctype="application/json" if b else None)
    field = json.loads(body).get("error", {}).get("field") if body.startswith(b"{") else "not JSON"
    out.append(f"{name}: {c} {field}")
say("strict input", "; ".join(out)[:78], t0, before)
long = raw(b"GET /api/v1/observations?from=" + b"9" * 20000 + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
big = raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Big: " + b"z" * 40000 + b"\r\n\r\n")
def kind(resp):
    return "JSON" if b'{"error"' in resp else "bare"


say("  long URI, large head", f"{status_of(long)} {kind(long)}, {status_of(big)} {kind(big)}",
    time.time(), rss_mb())
h = request("GET", "/healthz")
print(f"/healthz at the end: {h[0]} {h[1].decode()[:200]}")
