"""bench/hostile, pages that read to their budget: 64 clients asking for incidents in a box far
from the fire (each page reads `--page-read` incidents, 20,000, then on to the hour, and finds
none), while a monitor posts one observation at a time; its latency beside the same posts with
nothing else running. run.sh runs it against the deployed limits and against a server that lets
as many pages be read at once as are asked (`--page-reads 10000`), for the comparison.

argv: port, a monitor's token, an analyst's token, a label."""
import json, sys, threading, time, urllib.request

port, monitor, analyst, label = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
BASE = f"http://127.0.0.1:{port}"


def request(method, path, token, body=None):
    req = urllib.request.Request(BASE + path, data=body, method=method)
    req.add_header("Authorization", f"Bearer {token}")
    if body:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def posts(n, tag):
    """p50 and p99 of n single observations posted one after another, ms."""
    lat = []
    for i in range(n):
        body = json.dumps({"id": f"pages-{label.split()[0]}-{tag}-{i}", "observer": "op7",
                           "time": "2026-11-24T12:30:00Z", "kind": "explosion",
                           "observer_position": {"lon": 37.75, "lat": 48.05}}).encode()
        t = time.time()
        c = request("POST", "/api/v1/observations", monitor, body)
        lat.append((time.time() - t) * 1000)
        assert c in (200, 201), c
    lat.sort()
    return lat[len(lat) // 2], lat[int(len(lat) * 0.99) - 1]


quiet = posts(200, "quiet")
t0 = time.time()
answers, stop, lock = {}, threading.Event(), threading.Lock()


def far():
    while not stop.is_set():
        t = time.time()
        c = request("GET", "/api/v1/incidents?bbox=30.0,45.0,30.1,45.1&limit=100", analyst)
        with lock:
            answers.setdefault(c, []).append(time.time() - t)


threads = [threading.Thread(target=far) for _ in range(64)]
for th in threads:
    th.start()
time.sleep(1)
busy = posts(200, "busy")
stop.set()
for th in threads:
    th.join()
ok = sorted(answers.get(200, []))
others = {k: len(v) for k, v in answers.items() if k != 200}
print(f"{label:<34} pages 200: {len(ok)} (median {ok[len(ok) // 2]:.2f} s), others {others}; "
      f"posts p50/p99 {busy[0]:.1f}/{busy[1]:.1f} ms (quiet {quiet[0]:.1f}/{quiet[1]:.1f}) "
      f"over {time.time() - t0:.1f} s", flush=True)
