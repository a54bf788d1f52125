#!/usr/bin/env python3
"""Latency and memory of `vpclint lsp` (issue 9's targets): python3 bench/lsp_latency.py target/release/vpclint

1. keystroke latency: didChange -> publishDiagnostics, median of 30, on the reference
   example and on a ~1 MB document (targets: <= 1 ms and <= 25 ms median);
2. a burst of 200 full-text edits of the ~1 MB document written at once: time from the last
   edit written to the diagnostics of the last version, and how many stale publishes came
   before them (targets: <= 100 ms, <= 5 stale);
3. memory over 3 000 open/change/close cycles (target: flat), from /proc/PID/status VmRSS;
4. keystroke latency in a .http file of two requests (as 1.);
5. code actions, asked at 30 cursor positions of the ~1 MB document as an editor does at
   every cursor move: median answer time (served from the lint of that version);
6. documentSymbol on a ~10 MB document (targets: <= 1 s, peak memory <= 5x its size): answer
   time, and VmHWM (reset through /proc/PID/clear_refs) above the RSS before the request.
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

def status_kib(field):
    for line in open(f"/proc/{p.pid}/status"):
        if line.startswith(field + ":"): return int(line.split()[1])

def rss_kib():
    return status_kib("VmRSS")

def answer(id):
    while True:
        m = recv()
        if m.get("id") == id and "method" not in m: return m

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

http_uri = "file:///tmp/vpclint-bench/requests.http"
http_text = open(os.path.join(here, "..", "testdata", "http", "ok-apig-requests.http")).read()
send({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": http_uri, "languageId": "http", "version": 1, "text": http_text}}}); recv()
ts = []
for f in [frame(change(http_uri, v, http_text)) for v in range(2, 32)]:
    t = time.perf_counter()
    p.stdin.write(f); p.stdin.flush()
    m = recv(); assert m["method"] == "textDocument/publishDiagnostics"
    ts.append(time.perf_counter() - t)
    time.sleep(0.05)
print(f"keystroke, .http file of {http_text.count('###')} requests: median {statistics.median(ts)*1000:.2f} ms, p90 {sorted(ts)[int(len(ts)*0.9)]*1000:.2f} ms (30 didChange)")
send({"jsonrpc": "2.0", "method": "textDocument/didClose", "params": {"textDocument": {"uri": http_uri}}}); recv()

send({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": uri, "languageId": "json", "version": 1, "text": big}}}); recv()
ts = []
for i in range(30):
    line = 10 + i * 1000
    t = time.perf_counter()
    send({"jsonrpc": "2.0", "id": 100 + i, "method": "textDocument/codeAction", "params": {"textDocument": {"uri": uri}, "range": {"start": {"line": line, "character": 4}, "end": {"line": line, "character": 4}}, "context": {"diagnostics": []}}})
    answer(100 + i)
    ts.append(time.perf_counter() - t)
print(f"code actions on the {len(big)/1e6:.2f} MB document: median {statistics.median(ts)*1000:.2f} ms, max {max(ts)*1000:.2f} ms (30 cursor positions)")
send({"jsonrpc": "2.0", "method": "textDocument/didClose", "params": {"textDocument": {"uri": uri}}}); recv()

huge = json.loads(ref)
huge["members"] = [{"host": f"10.{k>>16&255}.{k>>8&255}.{k&255}", "port": 8080, "weight": 5, "member_group_name": "test"} for k in range(90000)]
huge = json.dumps(huge, indent=2)
send({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": uri, "languageId": "json", "version": 1, "text": huge}}}); recv()
open_peak = status_kib("VmHWM")
rss = rss_kib()
with open(f"/proc/{p.pid}/clear_refs", "w") as f: f.write("5")  # VmHWM := VmRSS
t = time.perf_counter()
send({"jsonrpc": "2.0", "id": 200, "method": "textDocument/documentSymbol", "params": {"textDocument": {"uri": uri}}})
n = len(answer(200)["result"])
took = time.perf_counter() - t
peak = status_kib("VmHWM")
print(f"documentSymbol on {len(huge)/1e6:.2f} MB ({n} top-level symbols): {took*1000:.1f} ms, peak {max(peak - rss, 0)/1024:.1f} MiB above the {rss/1024:.0f} MiB held "
      f"({max(peak - rss, 0)*1024/len(huge):.2f}x the document; whole process peak {peak*1024/len(huge):.2f}x, peak while opening and linting it {open_peak*1024/len(huge):.2f}x)")
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
