#!/usr/bin/env python3
"""Latency and memory of `vpclint lsp` (issue 9's targets): python3 bench/lsp_latency.py target/release/vpclint

1. keystroke latency: didChange -> publishDiagnostics, median of 30, on the reference
   example and on a ~1 MB document (targets: <= 1 ms and <= 25 ms median);
2. a burst of 200 full-text edits of the ~1 MB document written at once: time from the last
   edit written to the diagnostics of the last version, and how many stale publishes came
   before them (targets: <= 100 ms, <= 5 stale);
3. memory over 3 000 open/change/close cycles (target: flat), from /proc/PID/status VmRSS.
"""
import json, os, statistics, subprocess, sys, time

p = subprocess.Popen([sys.argv[1], "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)

def frame(m):
    b = json.dumps(m).encode()
    return b"Content-Length: %d\r\n\r\n" % len(b) + b

def send(m):
    p.stdin.write(frame(m)); p.stdin.flush()

def recv():
    n = None
    while True:
        l = p.stdout.readline().strip()
        if not l: break
        if l.startswith(b"Content-Length:"): n = int(l.split()[1])
    return json.loads(p.stdout.read(n))

def rss_kib():
    for line in open(f"/proc/{p.pid}/status"):
        if line.startswith("VmRSS:"): return int(line.split()[1])

def change(uri, v, text):
    return {"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {"textDocument": {"uri": uri, "version": v}, "contentChanges": [{"text": text}]}}

send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}); recv()
send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
here = os.path.dirname(os.path.abspath(__file__))
ref = open(os.path.join(here, "..", "testdata", "examples", "reference-example.json")).read()
big = json.loads(ref)
big["members"] = [{"host": f"10.{k>>16&255}.{k>>8&255}.{k&255}", "port": 8080, "weight": 5, "member_group_name": "test"} for k in range(9000)]
big = json.dumps(big, indent=2)

uri = "file:///tmp/vpclint-bench/x.json"
for name, text in [("reference example", ref), (f"{len(big)/1e6:.2f} MB document", big)]:
    send({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": uri, "languageId": "json", "version": 1, "text": text}}}); recv()
    ts = []
    # Frames are built before the clock starts: the client's own JSON encoding of a 1 MB
    # string is not the server's latency.
    frames = [frame(change(uri, v, text)) for v in range(2, 32)]
    for f in frames:
        t = time.perf_counter()
        p.stdin.write(f); p.stdin.flush()
        m = recv(); assert m["method"] == "textDocument/publishDiagnostics"
        ts.append(time.perf_counter() - t)
        time.sleep(0.05)  # a keystroke, not a burst
    print(f"keystroke, {name}: median {statistics.median(ts)*1000:.2f} ms, p90 {sorted(ts)[int(len(ts)*0.9)]*1000:.2f} ms (30 didChange)")
    send({"jsonrpc": "2.0", "method": "textDocument/didClose", "params": {"textDocument": {"uri": uri}}}); recv()

send({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": uri, "languageId": "json", "version": 1, "text": big}}}); recv()
burst = b"".join(frame(change(uri, v, big)) for v in range(2, 202))
p.stdin.write(burst); p.stdin.flush()
last_written = time.perf_counter()
versions = []
while True:
    m = recv()
    if m.get("method") != "textDocument/publishDiagnostics": continue
    versions.append(m["params"]["version"])
    if m["params"]["version"] == 201: break
final = time.perf_counter() - last_written
print(f"burst of 200 edits of {len(big)/1e6:.2f} MB: final diagnostics {final*1000:.1f} ms after the last edit was written, {len(versions)-1} stale publishes (versions {versions})")
send({"jsonrpc": "2.0", "method": "textDocument/didClose", "params": {"textDocument": {"uri": uri}}}); recv()

before = rss_kib()
samples = []
for i in range(3000):
    u = f"file:///tmp/vpclint-bench/doc{i}.json"
    send({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": u, "languageId": "json", "version": 1, "text": ref}}}); recv()
    send(change(u, 2, ref.replace("VPC_demo", f"VPC_demo{i}"))); recv()
    send({"jsonrpc": "2.0", "method": "textDocument/didClose", "params": {"textDocument": {"uri": u}}}); recv()
    if i % 500 == 499: samples.append(rss_kib())
print(f"memory over 3000 open/change/close cycles: VmRSS {before} KiB before, then every 500 cycles {samples} KiB")
send({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}); recv(); send({"jsonrpc": "2.0", "method": "exit"}); p.wait()
print(f"exit status after shutdown/exit: {p.returncode}")
