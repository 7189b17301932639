#!/usr/bin/env python3
"""Driver of `bench/activity`: what keeping every change on record costs.

For 1,000 and 10,000 tasks (`--quick`: 200 and 1,000), on one fresh lab-sandbox seeded with
them, each rep runs, each side a subprocess under /usr/bin/time:
  - the SDK's update_properties_of_tasks over every task (score), timed around the call;
  - `lab update-properties` over the same tasks: reads the values before, sends the chunks of
    200, records each chunk and reads back updatedAt (the whole process is timed);
  - `lab undo ENTRY --yes`: reads the current values, restores them, records the undo.
Writes bench/results/<date>-activity.md with the medians, the ratios to the SDK and the size
of the activity log per recorded task.
"""
import argparse
import datetime
import json
import os
import pathlib
import platform
import statistics
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench import Sandbox, timed  # noqa: E402

PROJECT = "p-activity"


def seed(n: int) -> dict:
    tasks = []
    for i in range(n):
        props = {"score": i % 5, "custom": {"team": "ab"[i % 2]}} if i % 3 else {}
        tasks.append({"_id": f"5eac{i:020d}", "name": f"img-{i:06d}.png",
                      "resources": ["https://example.invalid/a.png"], "properties": props})
    return {
        "credentials": [{"access_id": "bench", "secret_key": "bench-secret"}],
        "projects": [{"_id": PROJECT, "name": "Activity bench", "projectType": "iat-rectangle",
                      "configuration": {"metadata": {"labelOptions": {
                          "mainLists": [{"name": "Objects", "keys": ["o"]}],
                          "availableLabels": {"o": [{"id": "car", "name": "Car", "color": "#f00"}]}}}},
                      "batches": [{"_id": "5eacb0000000000000000001", "name": "b", "tasks": tasks}]}],
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--reps", type=int, default=None)
    a = ap.parse_args()
    sizes = (200, 1000) if a.quick else (1000, 10000)
    reps = a.reps or (1 if a.quick else 3)
    sandbox_bin = os.environ["LAB_SANDBOX_BIN"]
    lab_bin = os.environ["LAB_BIN"]
    py = sys.executable
    work = pathlib.Path(tempfile.mkdtemp(prefix="labdesk-activity-bench-"))
    rows = []
    for n in sizes:
        d = work / f"n{n}"
        d.mkdir()
        (d / "seed.json").write_text(json.dumps(seed(n)))
        ids = [f"5eac{i:020d}" for i in range(n)]
        (d / "ids.txt").write_text("\n".join(ids))
        sb = Sandbox(sandbox_bin, d / "data", d / "seed.json").start()
        db = d / "activity.sqlite3"
        env = dict(os.environ, ISAHIT_LAB_API_ACCESS_ID="bench", ISAHIT_LAB_API_SECRET_KEY="bench-secret",
                   ISAHIT_LAB_API_ENDPOINT=sb.url, LABDESK_ACTIVITY_DB=str(db), NO_COLOR="1")
        id_args = [x for i in ids for x in ("--task-id", i)]
        sdk_s, sdk_m, lab_s, lab_m, undo_s, undo_m = [], [], [], [], [], []
        try:
            for r in range(reps):
                _, m, out = timed([py, str(HERE / "sdk_bench.py"), "properties", PROJECT, str(d / "ids.txt"), "3"],
                                  env, d, f"sdk-{r}", stdout=None)
                sdk_s.append(json.loads(out.strip().splitlines()[-1])["seconds"])
                sdk_m.append(m)
                s, m, _ = timed([lab_bin, "--quiet", "update-properties", "--project", PROJECT, *id_args,
                                 "--score", "7"], env, d, f"lab-{r}")
                lab_s.append(s)
                lab_m.append(m)
                hist = subprocess.run([lab_bin, "history", "--json", "--limit", "1", "--kind", "properties"],
                                      env=env, capture_output=True, text=True, check=True)
                entry = json.loads(hist.stdout.splitlines()[0])
                assert entry["succeeded"] == n, entry
                s, m, _ = timed([lab_bin, "--quiet", "undo", str(entry["id"]), "--yes"], env, d, f"undo-{r}")
                undo_s.append(s)
                undo_m.append(m)
        finally:
            sb.stop()
        recorded = reps * n * 2  # the update's lines and the undo's
        size = db.stat().st_size + (pathlib.Path(str(db) + "-wal").stat().st_size
                                    if pathlib.Path(str(db) + "-wal").exists() else 0)
        row = dict(n=n, sdk=statistics.median(sdk_s), sdk_rss=max(sdk_m), lab=statistics.median(lab_s),
                   lab_rss=max(lab_m), undo=statistics.median(undo_s), undo_rss=max(undo_m),
                   bytes_per_line=size / recorded)
        rows.append(row)
        print(f"bench: {n:>6} tasks  SDK {row['sdk']:.2f} s {row['sdk_rss']:.0f} MiB | lab (recorded) "
              f"{row['lab']:.2f} s {row['lab_rss']:.0f} MiB | undo {row['undo']:.2f} s | "
              f"{row['bytes_per_line']:.0f} B/line", flush=True)
    stamp = datetime.datetime.now().strftime("%Y-%m-%d-%H%M")
    out = HERE / "results" / f"{stamp}-activity.md"
    lines = [
        f"# Activity log benchmark, {stamp}{' (quick)' if a.quick else ''}",
        "",
        f"Machine: {platform.node()} {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} at the end; "
        f"median of {reps} run(s); release build. SDK time = its call only; `lab` = the whole process.",
        "",
        "| tasks | SDK update (s) | `lab update-properties`, recorded (s) | lab / SDK time | SDK RSS (MiB) | lab RSS (MiB) | `lab undo` (s) | log bytes per task line |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(f"| {r['n']:,} | {r['sdk']:.2f} | {r['lab']:.2f} | {r['lab'] / r['sdk']:.2f}× | "
                     f"{r['sdk_rss']:.0f} | {r['lab_rss']:.0f} | {r['undo']:.2f} | {r['bytes_per_line']:.0f} |")
    lines += ["", "`lab` reads every task before (values to undo) and after (updatedAt), 100 ids a read, "
              "and writes each chunk of 200 to the log in one transaction; the SDK only sends the chunks.", ""]
    out.write_text("\n".join(lines))
    print(f"bench: wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
