#!/usr/bin/env python3
"""Benchmark vpclint against the schema-only peers, side by side, medians of several runs.

    python3 bench/run.py [--runs N]

Needs: cargo; python3 bench/gen_corpus.py (run automatically); and, for the peers,
check-jsonschema (pip), ajv-cli (npm -g), jsonschema-cli (cargo install jsonschema-cli).
A missing peer is reported as such and skipped. Prints a Markdown report on stdout.
"""
import argparse, os, shutil, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "bench", "corpus")
VPCLINT = os.path.join(ROOT, "target", "release", "vpclint")
FLOOR = os.path.join(ROOT, "target", "release", "examples", "parse_floor")


def measure(cmd, runs):
    """Median wall seconds and median peak RSS (MiB) over `runs` runs."""
    walls, rss = [], []
    for _ in range(runs):
        with tempfile.NamedTemporaryFile("r") as t:
            start = time.perf_counter()
            subprocess.run(["/usr/bin/time", "-o", t.name, "-f", "%M"] + cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
            walls.append(time.perf_counter() - start)
            rss.append(int(t.read().strip().splitlines()[-1]) / 1024)
    return statistics.median(walls), statistics.median(rss)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "vpclint", "--example", "parse_floor"], cwd=ROOT, check=True)
    if not os.path.exists(os.path.join(CORPUS, "big2.json")):
        subprocess.run([sys.executable, os.path.join(ROOT, "bench", "gen_corpus.py"), CORPUS], check=True)
    schema = os.path.join(CORPUS, "schema.json")
    with open(schema, "wb") as f:
        f.write(subprocess.run([VPCLINT, "schema"], check=True, capture_output=True).stdout)
    many = sorted(os.path.join(CORPUS, "many", n) for n in os.listdir(os.path.join(CORPUS, "many")))
    three = sorted(os.path.join(CORPUS, "three", n) for n in os.listdir(os.path.join(CORPUS, "three")))
    big, big2 = os.path.join(CORPUS, "big.json"), os.path.join(CORPUS, "big2.json")

    def tools(files, glob):
        t = {
            "vpclint (2 threads)": [VPCLINT, "check", "--output-format", "concise"] + files,
            "vpclint (1 thread)": [VPCLINT, "check", "--threads", "1", "--output-format", "concise"] + files,
            "parse-only floor (serde_json, 1 thread)": [FLOOR] + files,
        }
        if shutil.which("jsonschema-cli"):
            t["jsonschema-cli"] = ["jsonschema-cli", "validate", schema, "--errors-only", "-i"] + files
        if shutil.which("ajv") and glob:
            t["ajv-cli"] = ["ajv", "validate", "--spec=draft2020", "--strict=false", "--errors=line", "-s", schema, "-d", glob]
        if shutil.which("check-jsonschema"):
            t["check-jsonschema"] = ["check-jsonschema", "--schemafile", schema] + files
        return t

    print(f"Machine: {os.cpu_count()} cores; medians of {args.runs} runs; wall time includes process start.\n")
    for title, files, glob, runs in [
        ("3 files (a pre-commit run)", three, os.path.join(CORPUS, "three", "*.json"), args.runs),
        ("10 000 files of ~1 KB, 10 % with errors", many, os.path.join(CORPUS, "many", "*.json"), args.runs),
        ("one 20 MB file (200 000 members)", [big], big, args.runs),
        ("one 40 MB file (400 000 members): linearity", [big2], None, max(3, args.runs // 2)),
    ]:
        print(f"### {title}\n\n| tool | wall (s) | peak RSS (MiB) |\n|---|---:|---:|")
        for name, cmd in tools(files, glob).items():
            if "big2" in (glob or "") or (files == [big2] and name in ("ajv-cli", "check-jsonschema")):
                continue
            wall, rss = measure(cmd, runs)
            print(f"| {name} | {wall:.3f} | {rss:.0f} |")
        print()
    # Single-file latency: many runs, mean, for the ≤ 5 ms target.
    ref = os.path.join(ROOT, "testdata", "examples", "reference-example.json")
    n = 100
    start = time.perf_counter()
    for _ in range(n):
        subprocess.run([VPCLINT, "check", ref], stdout=subprocess.DEVNULL)
    per = (time.perf_counter() - start) / n
    start = time.perf_counter()
    for _ in range(n):
        subprocess.run(["/bin/true"], stdout=subprocess.DEVNULL)
    spawn = (time.perf_counter() - start) / n
    print(f"### one file\n\n`vpclint check` on the reference example: {per * 1000:.2f} ms wall per run "
          f"(mean of {n}; spawning /bin/true from the same loop takes {spawn * 1000:.2f} ms).")


if __name__ == "__main__":
    main()
