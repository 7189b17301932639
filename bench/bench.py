#!/usr/bin/env python3
"""Driver of `bench/run`: seeds a fresh lab-sandbox, runs every scenario with the SDK and with
`lab` on the same data in this run, and writes the markdown table to bench/results/<date>.md.

Environment (set by bench/run): LAB_SANDBOX_BIN, LAB_BIN, LAB_RAW_BIN; python = the SDK venv.
Each side runs as its own subprocess under `/usr/bin/time -f %M` (peak RSS, KiB).
"""
import argparse
import datetime as dt
import json
import os
import pathlib
import queue
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = pathlib.Path(__file__).resolve().parent
ACCESS_ID, SECRET_KEY = "bench", "bench-secret"
P_CREATE = "6b0000000000000000000001"
MAX_REPS = 9  # create batches per side (one fresh batch per repetition)


def create_batch(side: str, rep: int) -> str:
    """The empty batch that repetition `rep` of `side` ("sdk" or "lab") creates into."""
    return f"6b00000000000000000000{'d' if side == 'sdk' else 'e'}{rep}"


P_BIG, B_BIG = "6b0000000000000000000002", "6b00000000000000000000b1"
P_SMALL, B_SMALL = "6b0000000000000000000003", "6b00000000000000000000c1"
EXPORT_FIELDS = "data,data.mask,jobs,metrics"  # what lab-export asks for

LABELS = [
    {"id": "car", "name": "Car", "color": "#e6194b", "bChannel": 1},
    {"id": "person", "name": "Person", "color": "#3cb44b", "bChannel": 2},
    {"id": "bike", "name": "Bike", "color": "#4363d8", "bChannel": 3},
]


def configuration():
    return {
        "projectType": "iat-rectangle",
        "metadata": {
            "labelOptions": {"mainLists": [{"name": "Objects", "keys": ["objects"]}],
                             "availableLabels": {"objects": LABELS}},
            "toolOptions": {"sequence": False},
        },
    }


def task_data(rng: random.Random):
    anns = []
    for _ in range(rng.randint(1, 4)):
        lbl = rng.choice(LABELS)
        x0, y0 = rng.random() * 0.5, rng.random() * 0.5
        box = [round(x0, 6), round(y0, 6), round(x0 + rng.random() * 0.5, 6), round(y0 + rng.random() * 0.5, 6)]
        anns.append({"polygons": [{"geometry": {"type": "rectangle", "vertices": box}}],
                     "labels": {"Objects": {"labels": [{"id": lbl["id"], "name": lbl["name"]}]}},
                     "text": lbl["name"], "color": lbl["color"]})
    return {"annotations": anns, "image": {"width": 1280, "height": 720}}


def seed_tasks(n: int, prefix: str, rng: random.Random):
    return [{"name": f"{prefix}-{i:06d}.jpg", "status": "complete",
             "resources": [f"https://example.invalid/{prefix}/{i:06d}.jpg"],
             "properties": {"score": i % 5},
             "data": {"annotations": []}, "body": task_data(rng)} for i in range(n)]


def make_seed(n_big: int, n_small: int):
    rng = random.Random(7)

    def project(pid, name, batches):
        return {"_id": pid, "name": name, "status": "pending", "projectType": "iat-rectangle",
                "configuration": configuration(), "batches": batches}

    return {
        "credentials": [{"access_id": ACCESS_ID, "secret_key": SECRET_KEY}],
        "projects": [
            project(P_CREATE, "bench create", [{"_id": create_batch(side, r), "name": f"{side} {r}"}
                                               for side in ("sdk", "lab") for r in range(MAX_REPS)]),
            project(P_BIG, f"bench {n_big}", [{"_id": B_BIG, "name": "big", "tasks": seed_tasks(n_big, "big", rng)}]),
            project(P_SMALL, f"bench {n_small}",
                    [{"_id": B_SMALL, "name": "small", "tasks": seed_tasks(n_small, "small", rng)}]),
        ],
    }


def write_images(folder: pathlib.Path, n: int, side: int = 182):
    """n distinct PNGs of random noise, ~100 KB each (noise does not compress)."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(
            folder / f"img-{i:05d}.png", compress_level=1)


class Sandbox:
    def __init__(self, binary, data_dir, seed):
        self.args = [binary, "serve", "--addr", "127.0.0.1:0", "--data-dir", str(data_dir), "--seed", str(seed)]
        self.log = data_dir.parent / "sandbox.stderr.log"

    def start(self, timeout=300):
        with open(self.log, "wb") as err:
            self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL)
        q = queue.Queue()
        threading.Thread(target=lambda: q.put(self.proc.stdout.readline().decode().strip()), daemon=True).start()
        line = q.get(timeout=timeout)
        if not line.startswith("listening on "):
            self.stop()
            raise SystemExit(f"lab-sandbox did not start: {line!r} {self.log.read_text()[-2000:]}")
        self.url = line[len("listening on "):]
        if not self.url.endswith("/"):
            self.url += "/"
        return self

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def timed(cmd, env, log_dir, name, stdout=subprocess.DEVNULL):
    """Run cmd under /usr/bin/time; returns (wall seconds, peak RSS MiB, stdout text or None)."""
    rss_file = log_dir / f"{name}.rss"
    err_file = log_dir / f"{name}.stderr"
    out_file = log_dir / f"{name}.stdout"
    full = ["/usr/bin/time", "-f", "%M", "-o", str(rss_file), *cmd]
    # Dirty pages of the previous run (uploads, exports) are written back now, not during this one.
    os.sync()
    t0 = time.perf_counter()
    with open(err_file, "wb") as err, open(out_file, "wb") if stdout is None else open(os.devnull, "wb") as out:
        rc = subprocess.run(full, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL).returncode
    wall = time.perf_counter() - t0
    if rc != 0:
        raise SystemExit(f"{name} failed (exit {rc}): {' '.join(cmd)}\n{err_file.read_text(errors='replace')[-3000:]}")
    rss_kib = int(rss_file.read_text().strip().splitlines()[-1])
    text = out_file.read_text() if stdout is None else None
    return wall, rss_kib / 1024.0, text


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    ap.add_argument("--reps", type=int, default=None, help="runs of each lab/raw measure (median)")
    a = ap.parse_args()
    n_create, n_big, n_small = (40, 600, 120) if a.quick else (1000, 20000, 2000)
    reps = a.reps or (1 if a.quick else 3)
    if reps > MAX_REPS:
        raise SystemExit(f"--reps: at most {MAX_REPS}")
    sandbox_bin, lab_bin, raw_bin = os.environ["LAB_SANDBOX_BIN"], os.environ["LAB_BIN"], os.environ["LAB_RAW_BIN"]
    sdk = [sys.executable, str(HERE / "sdk_bench.py")]

    work = pathlib.Path(tempfile.mkdtemp(prefix="labdesk-bench-"))
    logs = work / "logs"
    logs.mkdir()
    print(f"bench: work folder {work}", file=sys.stderr)
    seed = work / "seed.json"
    seed.write_text(json.dumps(make_seed(n_big, n_small)))
    write_images(work / "images", n_create)
    img_kb = sum(p.stat().st_size for p in (work / "images").iterdir()) / n_create / 1024

    t0 = time.perf_counter()
    sb = Sandbox(sandbox_bin, work / "data", seed).start()
    seed_s = time.perf_counter() - t0
    print(f"bench: sandbox at {sb.url} (seeded {n_big + n_small} tasks in {seed_s:.1f} s)", file=sys.stderr)
    env = dict(os.environ, ISAHIT_LAB_API_ACCESS_ID=ACCESS_ID, ISAHIT_LAB_API_SECRET_KEY=SECRET_KEY,
               ISAHIT_LAB_API_ENDPOINT=sb.url, PYTHONUNBUFFERED="1")
    rows = []  # dicts: scenario, side, tasks, seconds, rss

    def sdk_run(name, *args):
        wall, rss, out = timed([*sdk, *args], env, logs, name, stdout=None)
        return json.loads(out.strip().splitlines()[-1])["seconds"], rss, wall

    def lab_run(name, *args):
        samples = []
        for r in range(reps):
            wall, rss, _ = timed([lab_bin, *args], env, logs, f"{name}-{r}")
            samples.append((wall, rss))
        return statistics.median(s[0] for s in samples), max(s[1] for s in samples)

    def add(scenario, side, tasks, seconds, rss, note=""):
        rows.append(dict(scenario=scenario, side=side, tasks=tasks, seconds=seconds, rss=rss, note=note))
        print(f"bench: {scenario:<28} {side:<6} {tasks:>6} tasks {seconds:8.2f} s {rss:7.1f} MiB {note}",
              file=sys.stderr)

    try:
        # --- create: 1 image each, separate batches, each side with its defaults ---------------
        # both sides `reps` times, alternating, each run into a fresh batch; medians reported
        sdk_s, lab_s, sdk_rss, lab_rss = [], [], 0.0, 0.0
        for r in range(reps):
            s, rss, _ = sdk_run(f"create-sdk-{r}", "create", P_CREATE, create_batch("sdk", r), str(work / "images"))
            sdk_s.append(s)
            sdk_rss = max(sdk_rss, rss)
            wall, rss, _ = timed([lab_bin, "create-tasks", "--project", P_CREATE, "--batch", create_batch("lab", r),
                                  str(work / "images")], env, logs, f"create-lab-{r}")
            lab_s.append(wall)
            lab_rss = max(lab_rss, rss)
        add("create", "SDK", n_create, statistics.median(sdk_s), sdk_rss,
            "runs: " + ", ".join(f"{x:.2f}" for x in sdk_s))
        add("create", "lab", n_create, statistics.median(lab_s), lab_rss,
            "runs: " + ", ".join(f"{x:.2f}" for x in lab_s))
        for side in ("sdk", "lab"):
            for r in range(reps):
                batch = create_batch(side, r)
                out = subprocess.run([lab_bin, "tasks", "--project", P_CREATE, "--batch", batch, "--raw-data", "-q"],
                                     env=env, capture_output=True, text=True, check=True).stdout
                got = len(out.splitlines())
                if got != n_create:
                    raise SystemExit(f"create by {side} (run {r}): {got} tasks in its batch, expected {n_create}"
                                     f" (see {logs})")

        # --- raw ceiling (tight reqwest loop, same page requests, client's concurrency 4) -------
        def raw(project, name, fields="data"):
            out = []
            for r in range(reps):
                _, rss_r, text = timed([raw_bin, sb.url, ACCESS_ID, SECRET_KEY, project, "4", fields], env, logs,
                                       f"{name}-{r}", stdout=None)
                out.append(json.loads(text.strip().splitlines()[-1])["seconds"])
            return statistics.median(out), rss_r

        # --- list -----------------------------------------------------------------------------
        s, rss, _ = sdk_run("list-sdk", "list", P_BIG)
        add("list", "SDK", n_big, s, rss)
        raw_s, raw_rss = raw(P_BIG, "raw-big")
        add("list", "raw", n_big, raw_s, raw_rss, "tight loop, no client logic")
        s, rss = lab_run("list-lab", "tasks", "--project", P_BIG, "--quiet")
        add("list", "lab", n_big, s, rss)

        # --- exports (lab JSON, YOLO) at n_big and n_small ------------------------------------
        exp = work / "exports"
        for fmt in ("lab", "yolo"):
            for n, project in ((n_big, P_BIG), (n_small, P_SMALL)):
                scen = f"export {fmt} {n}"
                s, rss, _ = sdk_run(f"export-{fmt}-{n}-sdk", "export", project, fmt, str(exp / f"sdk-{fmt}-{n}"))
                add(scen, "SDK", n, s, rss)
                samples = []
                for r in range(reps):
                    folder = exp / f"lab-{fmt}-{n}-{r}"
                    folder.mkdir(parents=True, exist_ok=True)
                    wall, rss, _ = timed([lab_bin, "export", "--project", project, "--format", fmt,
                                          "--output-folder", str(folder), "--quiet"], env, logs,
                                         f"export-{fmt}-{n}-lab-{r}")
                    samples.append((wall, rss))
                    if r < reps - 1:
                        shutil.rmtree(folder)
                add(scen, "lab", n, statistics.median(x[0] for x in samples), max(x[1] for x in samples))
        raw_s, raw_rss = raw(P_BIG, "raw-export", EXPORT_FIELDS)
        add("export pages", "raw", n_big, raw_s, raw_rss, "tight loop, export's optionalFields")
        sanity = check_exports(exp, n_big, n_small)
    finally:
        sb.stop()

    report = render(rows, n_create, n_big, n_small, img_kb, seed_s, reps, a.quick, sanity)
    write_report(report, "bench", a.quick, "", work, a.keep)


def write_report(report: str, tool: str, quick: bool, suffix: str, work: pathlib.Path, keep: bool):
    """Writes bench/results/<date>[-quick]<suffix>.md, prints it, and removes the work folder
    unless asked to keep it."""
    out_dir = HERE / "results"
    out_dir.mkdir(exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y-%m-%d-%H%M") + ("-quick" if quick else "") + suffix
    path = out_dir / f"{stamp}.md"
    path.write_text(report)
    print(report)
    print(f"{tool}: written {path}", file=sys.stderr)
    if keep:
        print(f"{tool}: kept {work}", file=sys.stderr)
    else:
        shutil.rmtree(work, ignore_errors=True)


def check_exports(exp: pathlib.Path, n_big: int, n_small: int):
    """Both sides exported the same number of tasks (a cheap guard against measuring nothing)."""
    import zipfile

    notes = []
    for n in (n_big, n_small):
        counts = {}
        for side in ("sdk", "lab"):
            pat = "{}-{}-{}" if side == "sdk" else "{}-{}-{}-*"
            folders = sorted(exp.glob(pat.format(side, "lab", n)))
            files = [f for d in folders[-1:] for f in d.iterdir() if f.suffix == ".json"]
            counts[f"{side} lab"] = len(json.loads(files[0].read_text())) if files else None
            folders = sorted(exp.glob(pat.format(side, "yolo", n)))
            files = [f for d in folders[-1:] for f in d.iterdir() if f.suffix == ".zip"]
            if files:
                with zipfile.ZipFile(files[0]) as z:
                    counts[f"{side} yolo"] = sum(1 for i in z.namelist() if i.endswith(".txt"))
        notes.append(f"{n}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return notes


def render(rows, n_create, n_big, n_small, img_kb, seed_s, reps, quick, sanity):
    def find(scen, side, tasks=None):
        for r in rows:
            if r["scenario"] == scen and r["side"] == side and (tasks is None or r["tasks"] == tasks):
                return r
        return None

    raw_rate = {r["scenario"].split()[0]: r["tasks"] / r["seconds"] for r in rows if r["side"] == "raw"}
    lines = [
        f"# Lab Desk benchmark — {dt.datetime.now():%Y-%m-%d %H:%M}{' (--quick)' if quick else ''}",
        "",
        f"Machine: {os.cpu_count()} cores, shared (load {os.getloadavg()[0]:.1f} at the end); release builds; "
        f"lab-sandbox on loopback, fresh data dir, seeded with {n_big} + {n_small} tasks in {seed_s:.1f} s.",
        f"SDK isahitlab 0.17.0 time = the SDK call only (imports excluded), run once (create: median of {reps}); "
        f"`lab` time = whole process (login, configuration, paging, output), median of {reps}; "
        f"raw = tight reqwest loop (bench/raw), median of {reps}.",
        f"Create: {n_create} PNGs of {img_kb:.0f} KB each, one task per image; the two sides alternate, each run "
        f"into a fresh batch.",
        "",
        "| Scenario | Side | Tasks | Time (s) | Tasks/s | Peak RSS (MiB) | Ratio |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        rate = r["tasks"] / r["seconds"] if r["seconds"] > 0 else float("inf")
        ratio = ""
        if r["side"] == "lab":
            sdk = find(r["scenario"], "SDK")
            if sdk:
                ratio = f"{sdk['seconds'] / r['seconds']:.1f}× SDK"
            key = r["scenario"].split()[0]
            if r["tasks"] == n_big and key in raw_rate:
                ratio += f"; {100 * rate / raw_rate[key]:.0f}% of raw"
        if r["side"] == "raw":
            ratio = r["note"]
        lines.append(f"| {r['scenario']} | {r['side']} | {r['tasks']} | {r['seconds']:.2f} | {rate:,.0f} | "
                     f"{r['rss']:.1f} | {ratio} |")

    lines += ["", "## Targets", "", "| Target | Measured | Met |", "|---|---|---|"]

    def target(name, value, ok):
        lines.append(f"| {name} | {value} | {'yes' if ok else '**no**'} |")

    c_sdk, c_lab = find("create", "SDK"), find("create", "lab")
    sp = c_sdk["seconds"] / c_lab["seconds"]
    target("create ≥ 10× SDK", f"{sp:.1f}×", sp >= 10)
    for scen in ("list", f"export lab {n_big}", f"export yolo {n_big}"):
        sdk, lab = find(scen, "SDK"), find(scen, "lab")
        sp = sdk["seconds"] / lab["seconds"]
        target(f"{scen} ≥ 20× SDK", f"{sp:.1f}×", sp >= 20)
        pct = 100 * (lab["tasks"] / lab["seconds"]) / raw_rate[scen.split()[0]]
        target(f"{scen} ≥ 50% of raw rate", f"{pct:.0f}%", pct >= 50)
    for fmt in ("lab", "yolo"):
        big, small = find(f"export {fmt} {n_big}", "lab"), find(f"export {fmt} {n_small}", "lab")
        q = big["rss"] / small["rss"]
        target(f"export {fmt} peak RSS {n_big} ≤ 1.5× {n_small}", f"{big['rss']:.1f} / {small['rss']:.1f} MiB = {q:.2f}×",
               q <= 1.5)
        sb, ss = find(f"export {fmt} {n_big}", "SDK"), find(f"export {fmt} {n_small}", "SDK")
        lines.append(f"| (SDK, for reference) export {fmt} peak RSS {n_big} / {n_small} | "
                     f"{sb['rss']:.1f} / {ss['rss']:.1f} MiB = {sb['rss'] / ss['rss']:.2f}× | — |")
    lines += ["", "Export task counts (SDK vs lab, last run): " + "; ".join(sanity), ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
