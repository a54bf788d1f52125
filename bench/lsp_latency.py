#!/usr/bin/env python3
"""didChange -> publishDiagnostics latency of `vpclint lsp`: python3 bench/lsp_latency.py target/release/vpclint"""
import json, subprocess, time, statistics, sys
p = subprocess.Popen([sys.argv[1], "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
def send(m):
    b = json.dumps(m).encode(); p.stdin.write(b"Content-Length: %d\r\n\r\n" % len(b) + b); p.stdin.flush()
def recv():
    n = None
    while True:
        l = p.stdout.readline().strip()
        if not l: break
        if l.startswith(b"Content-Length:"): n = int(l.split()[1])
    return json.loads(p.stdout.read(n))
send({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}); recv()
send({"jsonrpc":"2.0","method":"initialized","params":{}})
ref = open(__import__("os").path.join(__import__("os").path.dirname(__import__("os").path.abspath(__file__)), "..", "testdata", "examples", "reference-example.json")).read()
big = json.loads(ref); big["members"] = [{"host": f"10.{k>>16&255}.{k>>8&255}.{k&255}", "port": 8080, "weight": 5, "member_group_name": "test"} for k in range(9000)]
big = json.dumps(big, indent=2)
for name, text in [("reference example", ref), (f"{len(big)/1e6:.2f} MB document", big)]:
    uri = "file:///tmp/x.json"
    send({"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":uri,"languageId":"json","version":1,"text":text}}}); recv()
    ts = []
    for v in range(2, 32):
        t = time.perf_counter()
        send({"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":uri,"version":v},"contentChanges":[{"text":text}]}})
        m = recv(); assert m["method"] == "textDocument/publishDiagnostics"
        ts.append(time.perf_counter() - t)
    print(f"{name}: median {statistics.median(ts)*1000:.2f} ms, p90 {sorted(ts)[int(len(ts)*0.9)]*1000:.2f} ms (30 didChange)")
send({"jsonrpc":"2.0","id":2,"method":"shutdown"}); recv(); send({"jsonrpc":"2.0","method":"exit"}); p.wait()
