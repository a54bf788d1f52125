#!/usr/bin/env python3
"""Generate the benchmark corpora (deterministic: fixed seed).

  bench/gen_corpus.py DIR
    DIR/many/      10 000 request files of about 1 KB, 10 % with realistic errors
    DIR/big.json   one request with 200 000 members (about 20 MB)
    DIR/big2.json  the same with 400 000 members (linearity check)
    DIR/three/     3 files, a pre-commit-sized run
"""
import json, os, random, sys

random.seed(20261128)
out = sys.argv[1] if len(sys.argv) > 1 else "bench/corpus"

def request(i):
    r = {
        "name": f"svc-{i:05d}",
        "port": 8080,
        "balance_strategy": random.choice([1, 2, 3, 4]),
        "member_type": "ip",
        "vpc_channel_type": "builtin",
        "vpc_health_config": {"protocol": "HTTP", "path": "/health", "method": "GET", "http_code": "200-299",
                              "threshold_normal": 2, "threshold_abnormal": 3, "time_interval": 10, "timeout": 5},
        "member_groups": [{"member_group_name": "primary", "member_group_weight": 10,
                           "member_group_remark": "primary pool in az1"}],
        "members": [{"host": f"10.{i % 250}.{j}.{(i * 7 + j) % 250}", "port": 8080, "weight": 10,
                     "member_group_name": "primary"} for j in range(5)],
        "instance_ids": ["eea73cde015940908ae0117d67bf7330"],
    }
    if i % 10 == 0:  # 10 % carry one realistic mistake each
        kind = (i // 10) % 6
        hc = r["vpc_health_config"]
        if kind == 0: hc["time_intervall"] = hc.pop("time_interval")
        elif kind == 1: hc["timeout"] = 15
        elif kind == 2: r["port"] = "8080"
        elif kind == 3: r["members"][0]["host"] = "http://10.0.0.5:8080"
        elif kind == 4: r["members"][1]["member_group_name"] = "primray"
        else: r["instance_ids"] = [f"{k:032x}" for k in range(11)]
    return r

def big(n):
    r = request(1)
    r["members"] = [{"host": f"10.{k >> 16 & 255}.{k >> 8 & 255}.{k & 255}", "port": 8080, "weight": 5,
                     "member_group_name": "primary"} for k in range(n)]
    return r

os.makedirs(f"{out}/many", exist_ok=True)
for i in range(10_000):
    with open(f"{out}/many/req-{i:05d}.json", "w") as f:
        json.dump(request(i), f, indent=2)
os.makedirs(f"{out}/three", exist_ok=True)
for i in range(3):
    with open(f"{out}/three/req-{i}.json", "w") as f:
        json.dump(request(i + 1), f, indent=2)
for name, n in [("big.json", 200_000), ("big2.json", 400_000)]:
    with open(f"{out}/{name}", "w") as f:
        json.dump(big(n), f, indent=1)
print(f"corpus written to {out}")
