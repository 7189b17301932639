#!/usr/bin/env python3
"""`bench/dataset`: the YOLO dataset export with images (`lab export --format yolo-dataset`)
at 2,000 and 20,000 tasks, measured for time and peak RSS (the SDK has no such export: the
figure that matters is memory flat in the task count, 20k ≤ 1.5× 2k).

Each task's resource is an image URL on a local HTTP server (127.0.0.1, threaded, one distinct
~40 KB JPEG per task drawn from a pool of 64), so every image really is downloaded, 8 at a time,
and streamed into the zip. Writes bench/results/<date>-dataset.md.
Environment (set by bench/dataset): LAB_SANDBOX_BIN, LAB_BIN.
"""
import argparse
import datetime as dt
import http.server
import io
import json
import os
import pathlib
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
import zipfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from bench import ACCESS_ID, SECRET_KEY, Sandbox, configuration, task_data, timed  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
P_SMALL, B_SMALL = "6d0000000000000000000001", "6d00000000000000000000a1"
P_BIG, B_BIG = "6d0000000000000000000002", "6d00000000000000000000b1"


def image_pool(n=64, size=(320, 240)):
    from PIL import Image

    rng = random.Random(3)
    out = []
    for _ in range(n):
        img = Image.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3))
        buf = io.BytesIO()
        img.save(buf, format="JPEG", quality=85)
        out.append(buf.getvalue())
    return out


def serve_images(pool):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):  # noqa: N802
            i = int(self.path.rsplit("/", 1)[-1].split(".")[0]) % len(pool)
            body = pool[i]
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def seed(n_small, n_big, base):
    rng = random.Random(11)

    def tasks(n, prefix):
        return [{"name": f"{prefix}-{i:06d}.jpg", "status": "complete",
                 "resources": [f"{base}/{prefix}/{i}.jpg"], "data": {"annotations": []},
                 "body": task_data(rng)} for i in range(n)]

    def project(pid, bid, n, prefix):
        return {"_id": pid, "name": f"dataset {n}", "status": "pending", "projectType": "iat-rectangle",
                "configuration": configuration(),
                "batches": [{"_id": bid, "name": prefix, "tasks": tasks(n, prefix)}]}

    return {"credentials": [{"access_id": ACCESS_ID, "secret_key": SECRET_KEY}],
            "projects": [project(P_SMALL, B_SMALL, n_small, "s"), project(P_BIG, B_BIG, n_big, "b")]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="200 and 2,000 tasks")
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    n_small, n_big = (200, 2000) if a.quick else (2000, 20000)
    work = pathlib.Path(tempfile.mkdtemp(prefix="labdesk-dataset-bench-"))
    logs = work / "logs"
    logs.mkdir()
    pool = image_pool()
    srv = serve_images(pool)
    base = f"http://127.0.0.1:{srv.server_address[1]}/img"
    (work / "seed.json").write_text(json.dumps(seed(n_small, n_big, base)))
    sb = Sandbox(os.environ["LAB_SANDBOX_BIN"], work / "data", work / "seed.json").start()
    env = dict(os.environ, ISAHIT_LAB_API_ACCESS_ID=ACCESS_ID, ISAHIT_LAB_API_SECRET_KEY=SECRET_KEY,
               ISAHIT_LAB_API_ENDPOINT=sb.url)
    rows = []
    try:
        for n, pid in ((n_small, P_SMALL), (n_big, P_BIG)):
            samples = []
            for r in range(a.reps):
                out = work / f"out-{n}-{r}"
                out.mkdir()
                wall, rss, _ = timed([os.environ["LAB_BIN"], "export", "--quiet", "--project", pid,
                                      "--format", "yolo-dataset", "--output-folder", str(out),
                                      "--output-filename", "ds.zip", "--option", "split=80,10,10"],
                                     env, logs, f"dataset-{n}-{r}")
                with zipfile.ZipFile(out / "ds.zip") as z:
                    images = sum(1 for i in z.namelist() if i.startswith("images/") and not i.endswith("/"))
                size = (out / "ds.zip").stat().st_size
                if images != n:
                    raise SystemExit(f"{n} tasks: the zip holds {images} images")
                samples.append((wall, rss, size))
                shutil.rmtree(out)
            wall = statistics.median(s[0] for s in samples)
            rss = max(s[1] for s in samples)
            rows.append(dict(n=n, seconds=wall, rss=rss, mib=samples[-1][2] / 2**20,
                             runs=", ".join(f"{s[0]:.2f}" for s in samples)))
            print(f"bench: yolo-dataset {n:>6} tasks {wall:7.2f} s {rss:7.1f} MiB", file=sys.stderr)
    finally:
        sb.stop()
        srv.shutdown()
    small, big = rows
    q = big["rss"] / small["rss"]
    img_kb = statistics.mean(len(p) for p in pool) / 1024
    lines = [
        f"# YOLO dataset export with images — {dt.datetime.now():%Y-%m-%d %H:%M}",
        "",
        f"`lab export --format yolo-dataset` (split 80/10/10), images of ~{img_kb:.0f} KB downloaded from a",
        f"local HTTP server (threaded, 127.0.0.1), {a.reps} runs each (median time, max peak RSS).",
        f"Machine: {os.cpu_count()} cores. Build: {os.environ.get('LAB_BUILD', 'release')}.",
        "",
        "| tasks | seconds | tasks/s | peak RSS | zip | runs (s) |",
        "|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        lines.append(f"| {r['n']} | {r['seconds']:.2f} | {r['n'] / r['seconds']:.0f} | {r['rss']:.1f} MiB | "
                     f"{r['mib']:.0f} MiB | {r['runs']} |")
    lines += ["", f"Peak RSS {big['n']} / {small['n']}: {big['rss']:.1f} / {small['rss']:.1f} MiB = **{q:.2f}×** "
              f"(target ≤ 1.5×: {'met' if q <= 1.5 else '**not met**'}).", ""]
    report = "\n".join(lines)
    out_dir = HERE / "results"
    out_dir.mkdir(exist_ok=True)
    path = out_dir / (f"{dt.datetime.now():%Y-%m-%d-%H%M}-dataset" + ("-quick" if a.quick else "") + ".md")
    path.write_text(report)
    print(report)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
