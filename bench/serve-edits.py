#!/usr/bin/env python3
"""Save → served latency and memory of `gazette serve --watch` over many edits.

    bench/serve-edits.py [N] [EDITS]        default: 10000 200

Copies the generated N-document corpus (target/bench/cN, made by bench/run.sh or
../shared/bench/gen_corpus.py), starts the real server on a free loopback port, then
EDITS times: appends a new paragraph to the body of one of ten documents, and polls the
page over HTTP until the new text is served. The latency is from just before the file is
written to the first response carrying the new text. Between edits it waits for the
server to finish (the search index refresh), so each edit is measured on its own.
Prints latency percentiles and the server's resident memory over the run.
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
n = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
edits = int(sys.argv[2]) if len(sys.argv) > 2 else 200

corpus = os.path.join(ROOT, "target", "bench", f"c{n}")
if not os.path.isfile(os.path.join(corpus, "gazette.yaml")):
    subprocess.run(["python3", os.path.join(ROOT, "..", "shared", "bench", "gen_corpus.py"), str(n), corpus],
                   check=True, stdout=subprocess.DEVNULL)
subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
gazette = os.path.join(ROOT, "target", "release", "gazette")

work = tempfile.mkdtemp(prefix="gazette-serve-bench-")
site = os.path.join(work, "site")
shutil.copytree(corpus, site)
docs = sorted(
    os.path.join(d, f)
    for d, _, fs in os.walk(os.path.join(site, "content", "documents"))
    for f in fs if f.endswith(".md")
)[:10]
originals = {p: open(p, encoding="utf-8").read() for p in docs}
ids = {p: re.search(r"^id:\s*(\S+)", t, re.M).group(1) for p, t in originals.items()}

with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
proc = subprocess.Popen(
    [gazette, "serve", "--watch", "--port", str(port), "--root", site],  # its private output, in work
    stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env={**os.environ, "TMPDIR": work})
lines = []
cond = threading.Condition()


def pump():
    for line in proc.stderr:
        with cond:
            lines.append(line.rstrip("\n"))
            cond.notify_all()


threading.Thread(target=pump, daemon=True).start()


def wait_line(pred, start, timeout=300):
    deadline = time.time() + timeout
    with cond:
        while True:
            for i in range(start, len(lines)):
                if pred(lines[i]):
                    return i
            left = deadline - time.time()
            if left <= 0:
                raise SystemExit("timed out; server said:\n" + "\n".join(lines[-20:]))
            cond.wait(left)


t = time.time()
wait_line(lambda l: l.startswith("serving at"), 0)
first_build = time.time() - t


def rss_mb():
    with open(f"/proc/{proc.pid}/status") as f:
        for l in f:
            if l.startswith("VmRSS:"):
                return int(l.split()[1]) / 1024
    return 0.0


def get(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.read().decode("utf-8", "replace")


latencies, rss = [], []
fast = full = 0
try:
    for k in range(edits):
        p = docs[k % len(docs)]
        url = f"http://127.0.0.1:{port}/documents/{ids[p]}/"
        marker = f"编辑第{k}次"
        text = originals[p] + f"\n\n本段为第{k}次保存时新增的内容：{marker}。\n"
        with cond:
            mark = len(lines)
        t0 = time.perf_counter()
        with open(p, "w", encoding="utf-8") as f:
            f.write(text)
        while marker not in get(url):
            pass
        latencies.append((time.perf_counter() - t0) * 1000)
        done = wait_line(lambda l: l.startswith("search index") or l.startswith("rebuilt in")
                         or l.startswith("build failed"), mark)
        if lines[done].startswith("search index"):
            fast += 1
        else:
            full += 1
        rss.append(rss_mb())
finally:
    proc.kill()
    proc.wait()
    shutil.rmtree(work, ignore_errors=True)

lat = sorted(latencies)


def pct(q):
    return lat[min(len(lat) - 1, int(q * len(lat)))]


print(f"corpus: {n} documents; first build {first_build:.1f} s; {edits} edits "
      f"({fast} fast, {full} full builds)")
print("| save → served | median | p90 | p99 | max |")
print("|---|---|---|---|---|")
print(f"| {n} documents | {pct(0.5):.0f} ms | {pct(0.9):.0f} ms | {pct(0.99):.0f} ms | {lat[-1]:.0f} ms |")
print(f"server RSS: after edit 1 {rss[0]:.0f} MB, after edit {len(rss) // 2} {rss[len(rss) // 2 - 1]:.0f} MB, "
      f"after edit {len(rss)} {rss[-1]:.0f} MB, max {max(rss):.0f} MB")
