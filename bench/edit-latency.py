#!/usr/bin/env python3
"""Save -> served latency of `gazette serve --watch`, for every kind of edit issue 16 names.

    bench/edit-latency.py GAZETTE [SITE] [ROUNDS]      SITE: target/bench/c10000, ROUNDS: 3

Copies SITE (a corpus from ../shared/bench/gen_corpus.py), starts the real server on a free
loopback port with its output in a temporary folder, and for ROUNDS rounds makes each edit
below; after each save it polls the page that shows the edit over HTTP until the change is
served. Prints the median and maximum per kind in ms, from just before the file is written
(the watcher's debounce included), and the server's own line ("updated …" for the fast
body path, "rebuilt in …" for a build). Pauses 1 s between edits. Set KEEP=1 to keep the
folder (serve.log in it), TIMINGS=1 to have serve log each build's stage times.
ONLY="published date,new document" makes only those kinds of edit (and the ones they
stand on: a file is renamed and deleted after it is added), for more rounds in less time.

WAIT=reload measures as an open page sees it: the time from the save to the page's first
fetch that shows the edit, fetched when the server's live-reload event arrives (as the
page's script does), instead of polling every 4 ms from the save on: on two cores those
polls, each a request the server answers, take CPU from the rebuild they wait for.
"""
import glob, http.client, os, re, shutil, socket, statistics, subprocess, sys, tempfile, threading, time, urllib.error
import urllib.request

gz = os.path.abspath(sys.argv[1])
src = sys.argv[2] if len(sys.argv) > 2 else "target/bench/c10000"
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
w = tempfile.mkdtemp(prefix="gazette-edits-")
site = os.path.join(w, "site")
shutil.copytree(src, site, ignore=shutil.ignore_patterns(".gazette-cache", "public"))
# The folder the template edits go to (serve also picks it up when made later).
os.makedirs(os.path.join(site, "themes", "default", "templates"), exist_ok=True)
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
log_path = os.path.join(w, "serve.log")
log = open(log_path, "w")
timings = ["--timings"] if os.environ.get("TIMINGS") else []  # stage times into serve.log (KEEP=1 to read it)
# serve's own private output (as an editor runs it), in this folder: TMPDIR is where it goes.
p = subprocess.Popen([gz, "serve", "--watch", *timings, "--port", str(port), "--root", site],
                     stdout=log, stderr=log, env={**os.environ, "TMPDIR": w})
base = f"http://127.0.0.1:{port}/"


def get(path):
    try:
        with urllib.request.urlopen(base + path, timeout=5) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, ""
    except Exception:
        return 0, ""


reloads = []  # when each live-reload event arrived (WAIT=reload)
arrived = threading.Condition()


def listen():
    """Read the server's live-reload events, as an open page's script does."""
    while True:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
            c.request("GET", "/__gazette/events")
            r = c.getresponse()
            while True:
                line = r.readline()
                if not line:
                    break
                if line.startswith(b"event: reload") or line.startswith(b"event: css"):
                    with arrived:
                        reloads.append(time.perf_counter())
                        arrived.notify_all()
        except Exception:
            time.sleep(0.2)


def wait(t1, ok, limit=120):
    by_event = os.environ.get("WAIT") == "reload"
    seen = 0  # reload events since the save that a fetch has followed
    while time.perf_counter() - t1 < limit:
        if by_event:
            # The next reload event since the save (the first, or one after the last
            # fetch that did not show the edit yet), then one fetch.
            with arrived:
                since = lambda: len([t for t in reloads if t >= t1])
                arrived.wait_for(lambda: since() > seen, timeout=limit)
                seen = since()
        if ok():
            return (time.perf_counter() - t1) * 1000
        if not by_event:
            time.sleep(0.004)
    return float("inf")


def read(path):
    return open(path, encoding="utf-8").read()


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def front(text, key, value):
    """Set a front-matter key (added before the closing --- when missing)."""
    if re.search(rf"^{key}:", text, re.M):
        return re.sub(rf"^{key}:.*$", lambda _: f"{key}: {value}", text, count=1, flags=re.M)
    return text.replace("\n---\n", f"\n{key}: {value}\n---\n", 1)


def doc_id(text):
    return re.search(r"^id:\s*\"?([^\"\n]+)", text, re.M).group(1)


def shows(path, needle):
    return lambda: needle in get(path)[1]


def gone(path):
    return lambda: get(path)[0] == 404


try:
    t0 = time.time()
    while time.time() - t0 < 900 and not get("")[0]:
        time.sleep(0.2)
    time.sleep(3)  # the first build's caches are written after it is served
    if os.environ.get("WAIT") == "reload":
        threading.Thread(target=listen, daemon=True).start()
        time.sleep(1)
    docs = sorted(glob.glob(os.path.join(site, "content", "documents", "**", "*.md"), recursive=True))
    services = re.findall(r'^- id: (\S+)\n(?:  .*\n)*?  url: "?([^"\n]+)', read(os.path.join(site, "content", "services.yaml")), re.M)
    organs = os.path.join(site, "content", "organs.yaml")
    res = {}
    only = [k.strip() for k in os.environ.get("ONLY", "").split(",") if k.strip()]
    needed = set(only)
    for later, first in [("deleted document", ["new document", "renamed file"]), ("renamed file", ["new document"])]:
        if later in needed:
            needed.update(first)

    def edit(kind, do, ok, settle=1.0):
        if only and kind not in needed:
            return
        mark = len(open(log_path, encoding="utf-8", errors="replace").read())
        t1 = time.perf_counter()
        do()
        ms = wait(t1, ok)
        time.sleep(settle)
        said = open(log_path, encoding="utf-8", errors="replace").read()[mark:]
        how = re.findall(r"^(updated .* in \d+ ms|rebuilt in \d+ ms(?: \(.*\))?|build failed.*)$", said, re.M)
        if not only or kind in only:
            res.setdefault(kind, []).append((ms, how[-1] if how else "?"))

    for i in range(rounds):
        path = docs[(i * 7 + 3) % len(docs)]
        text = read(path)
        did = doc_id(text)
        page = f"documents/{did}/"
        edit("body", lambda: write(path, read(path) + f"\n\nBODY{i}x\n"), shows(page, f"BODY{i}x"))
        edit("title", lambda: write(path, front(read(path), "title", f"TITLE{i}x 修订")), shows(page, f"TITLE{i}x"))
        edit("published date", lambda: write(path, front(read(path), "published", f"2023-0{i + 1}-1{i}")),
             shows(page, f'"datePublished":"2023-0{i + 1}-1{i}"'))
        other = doc_id(read(docs[(i * 7 + 5) % len(docs)]))
        edit("relations", lambda: write(path, front(read(path), "related", f'["{other}"]')), shows(page, f"documents/{other}/"))
        edit("topics", lambda: write(path, front(read(path), "topics", f'["TOPIC{i}x"]')), shows(page, f"TOPIC{i}x"))
        svc, url = services[(i * 5 + 11) % len(services)]
        edit("services", lambda: write(path, front(read(path), "services", f'["{svc}"]')), shows(page, url))
        edit("validity", lambda: write(path, front(read(path), "expires", "2024-12-31")), shows(page, "validity-banner validity-expired"))
        new = os.path.join(site, "content", "documents", f"zz-new-{i}.md")
        body = re.sub(r"^(id|doc_number|index_number|basis|supporting|related):.*\n", "", read(docs[0]), flags=re.M)
        edit("new document", lambda: write(new, front(body, "title", f"NEW{i}x 新文件")), shows(f"documents/zz-new-{i}/", f"NEW{i}x"))
        renamed = os.path.join(site, "content", "documents", f"zz-renamed-{i}.md")
        edit("renamed file", lambda: (os.rename(new, renamed), write(renamed, front(read(renamed), "title", f"REN{i}x"))),
             shows(f"documents/zz-renamed-{i}/", f"REN{i}x"))
        edit("deleted document", lambda: os.remove(renamed), gone(f"documents/zz-renamed-{i}/"))
        jd = os.path.join(site, "content", "interpretations", f"zz-jd-{i}.md")
        edit("new interpretation",
             lambda: write(jd, f"---\nid: zz-jd-{i}\ntitle: JD{i}x 解读\ninterprets: {did}\npublished: 2026-01-01\n---\n\n解读正文。\n"),
             shows(page, f"JD{i}x"))
        faq = os.path.join(site, "content", "faqs", f"zz-faq-{i}.yaml")
        os.makedirs(os.path.dirname(faq), exist_ok=True)
        edit("new FAQ set", lambda: write(faq, f"for: {did}\nitems:\n  - q: FAQ{i}x 何时施行？\n    a: 自发布之日起。\n"),
             shows(page, f"FAQ{i}x"))
        issuer = re.search(r"^issuer:\s*\"?([^\"\n]+)", read(path), re.M).group(1)
        edit("organs.yaml",
             lambda: write(organs, re.sub(rf'(- id: {issuer}\n  name: ")', rf"\g<1>ORG{i}x", read(organs), count=1)),
             shows(page, f"ORG{i}x"))
        # The document template: its pages are rendered again, the rest are not.
        doc_tpl = os.path.join(site, "themes", "default", "templates", "document.html")
        if i == 0:
            os.makedirs(os.path.dirname(doc_tpl), exist_ok=True)
            write(doc_tpl, read(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "themes", "default", "templates", "document.html")))
            time.sleep(3)  # the override itself is a template edit; let it settle
        edit("document template",
             lambda: write(doc_tpl, read(doc_tpl).replace("{% endblock content %}", f"<p>DOC{i}q</p>{{% endblock content %}}", 1)),
             shows(page, f"DOC{i}q"), settle=5.0)
        tpl = os.path.join(site, "themes", "default", "templates", "base.html")
        if i == 0:
            os.makedirs(os.path.dirname(tpl), exist_ok=True)
            write(tpl, read(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "themes", "default", "templates", "base.html")))
            time.sleep(3)  # the override itself is a template edit; let it settle
        edit("base template", lambda: write(tpl, read(tpl).replace("</footer>", f"<p>TPL{i}x</p></footer>", 1)), shows(page, f"TPL{i}x"),
             settle=10.0)  # a template edit renders every page: let a second event's build finish too
    print(f"{len(docs)} documents, {rounds} round(s), save -> served (ms):")
    for k, v in res.items():
        ms = [x for x, _ in v]
        print(f"  {k:20} median {statistics.median(ms):7.0f}   max {max(ms):7.0f}   server: {v[-1][1]}")
finally:
    p.terminate()
    try:
        p.wait(10)
    except subprocess.TimeoutExpired:
        p.kill()
    if os.environ.get("KEEP"):
        print("kept", w)
    else:
        shutil.rmtree(w, ignore_errors=True)
