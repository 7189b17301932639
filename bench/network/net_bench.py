#!/usr/bin/env python3
"""Driver of `bench/network/run` (issue 19): the SDK and `lab` on identical data against a
seeded lab-sandbox behind a shaped link, and the table in bench/results/<date>-network.md.

Runs inside the client namespace (labnet-c) made by bench/network/run; starts the sandbox (and
the calibration peer) in the server namespace ($NET_NS_SERVER, address $NET_SERVER_ADDR) with
`ip netns exec`, and for every measured run a fresh bench/network/relay.py on this namespace's
loopback: the client's endpoint is the relay, the relay's upstream is the sandbox across the
shaped veth. Per run: wall time (the SDK: its call only, as in bench/sdk_bench.py; `lab`: the
whole process), peak RSS (/usr/bin/time), bytes each way and connections (relay), requests (the
sandbox's --request-log, the lines this run added), and the relay's per-request trace.

Environment (set by bench/network/run): LAB_SANDBOX_BIN, LAB_BIN, JOB_BENCH_BIN (the window's create
job engine, lab-jobs' example job_bench: the "jobs" side of the create scenarios), NET_NS_SERVER,
NET_SERVER_ADDR, NET_UP_RATE, NET_DOWN_RATE; python = the SDK venv.
"""
import argparse
import collections
import datetime as dt
import json
import os
import pathlib
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

HERE = pathlib.Path(__file__).resolve().parent
BENCH = HERE.parent
sys.path.insert(0, str(BENCH))
from bench import (ACCESS_ID, P_BIG, P_CREATE, SECRET_KEY, Sandbox, create_batch,  # noqa: E402
                   make_seed, timed, write_images, write_report)

RELAY = HERE / "relay.py"
SMALL_SIDE, LARGE_SIDE = 182, 1291  # noise PNGs of ~100 KB and ~5 MB
ID_RE = re.compile(r"/[0-9a-f]{24}(?=/|$)")
TARGETS = {"small": 20.0, "large_link": 0.90, "export": 50.0, "jobs": 1.2}


def parse_rate(s):
    """tc's rate syntax (SI: kbit = 1000 bit/s; mbps = megabytes/s) -> bits/s."""
    m = re.fullmatch(r"([0-9.]+)\s*([a-z]*)", s.strip().lower())
    if not m:
        raise SystemExit(f"cannot read the rate {s!r}")
    v, unit = float(m.group(1)), m.group(2)
    bits = {"": 1, "bit": 1, "kbit": 1e3, "mbit": 1e6, "gbit": 1e9, "tbit": 1e12,
            "bps": 8, "kbps": 8e3, "mbps": 8e6, "gbps": 8e9}
    if unit not in bits:
        raise SystemExit(f"unknown rate unit in {s!r}")
    return v * bits[unit]


class NetSandbox(Sandbox):
    """bench.Sandbox in the server namespace, on the veth address, with a request log."""

    def __init__(self, binary, data_dir, seed, ns, addr, request_log, compress):
        super().__init__(binary, data_dir, seed)
        self.args = ["ip", "netns", "exec", ns, binary, "serve", "--addr", f"{addr}:0", "--allow-remote",
                     "--data-dir", str(data_dir), "--seed", str(seed), "--request-log", str(request_log)]
        if compress:
            self.args.append("--compress")


def start_line(proc, what, timeout=30):
    """The 'listening on HOST:PORT' line of a relay/peer process."""
    import queue
    import threading

    q = queue.Queue()
    threading.Thread(target=lambda: q.put(proc.stdout.readline().decode().strip()), daemon=True).start()
    try:
        line = q.get(timeout=timeout)
    except queue.Empty:
        line = ""
    if not line.startswith("listening on "):
        proc.kill()
        raise SystemExit(f"{what} did not start: {line!r}")
    return line[len("listening on "):]


class Relay:
    def __init__(self, upstream, rtt_ms, connect_rtts, stats, trace):
        self.stats, self.trace = stats, trace
        self.proc = subprocess.Popen(
            [sys.executable, str(RELAY), "relay", "--listen", "127.0.0.1:0", "--upstream", upstream,
             "--delay-ms", str(rtt_ms / 2), "--connect-rtts", str(connect_rtts), "--stats", str(stats),
             "--trace", str(trace)], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
        self.addr = start_line(self.proc, "relay")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        doc = json.loads(self.stats.read_text())
        turns = [json.loads(line) for line in self.trace.read_text().splitlines() if line.strip()]
        return doc, turns


def kind_of(req_line):
    """'POST /api/file-manager/files?x HTTP/1.1' -> 'POST file-manager/files'."""
    parts = req_line.split(" ")
    if len(parts) < 2:
        return "?"
    path = urllib.parse.urlsplit(parts[1]).path
    path = ID_RE.sub("/{id}", path)
    path = path.removeprefix("/api/")
    return f"{parts[0]} {path}"


def analyze(turns, stats, t_start_unix, seconds, link_up, link_down):
    """What the relay saw, from the client's side: request kinds, latencies, concurrency, gaps."""
    off = t_start_unix - stats["t0_unix"]  # process start on the relay's clock
    turns = [t for t in turns if t["t_req0"] is not None and t["t_resp1"] is not None]
    out = {"turns": len(turns)}
    if not turns:
        return out
    first = min(t["t_req0"] for t in turns)
    last = max(t["t_resp1"] for t in turns)
    out["to_first_request"] = first - off
    out["active_span"] = last - first
    kinds = collections.OrderedDict()
    for t in sorted(turns, key=lambda t: t["t_req0"]):
        k = kind_of(t["req"])
        kinds.setdefault(k, []).append(t)
    out["kinds"] = []
    for k, ts in kinds.items():
        lat = [t["t_resp1"] - t["t_req0"] for t in ts]
        wait = [t["t_resp0"] - t["t_req1"] for t in ts]
        send = [t["t_req1"] - t["t_req0"] for t in ts]
        out["kinds"].append({
            "kind": k, "n": len(ts), "first": min(t["t_req0"] for t in ts) - off,
            "lat_med": statistics.median(lat), "lat_p90": sorted(lat)[int(0.9 * (len(lat) - 1))],
            "send_med": statistics.median(send), "wait_med": statistics.median(wait),
            "up_med": statistics.median(t["up"] for t in ts), "down_med": statistics.median(t["down"] for t in ts),
            "busy": sum(lat)})
    # requests in flight (a request is in flight from its first byte sent to its last byte back)
    ev = sorted([(t["t_req0"], 1) for t in turns] + [(t["t_resp1"], -1) for t in turns])
    cur = peak = 0
    for _, d in ev:
        cur += d
        peak = max(peak, cur)
    out["inflight_peak"] = peak
    out["inflight_mean"] = sum(t["t_resp1"] - t["t_req0"] for t in turns) / max(last - first, 1e-9)
    # per connection: requests, and the time it sat idle between an answer and the next request
    by_conn = collections.defaultdict(list)
    for t in turns:
        by_conn[t["conn"]].append(t)
    gaps = []
    for ts in by_conn.values():
        ts.sort(key=lambda t: t["t_req0"])
        gaps += [b["t_req0"] - a["t_resp1"] for a, b in zip(ts, ts[1:])]
    out["per_conn"] = sorted(len(ts) for ts in by_conn.values())
    out["gap_med"] = statistics.median(gaps) if gaps else 0.0
    out["gap_sum"] = sum(gaps)
    # the byte timeline: share of the active span where a direction ran under half its rate
    b = stats["bin_seconds"]
    i0, i1 = int(first / b), int(last / b) + 1

    def under(bins, rate):
        seg = (bins + [0] * i1)[i0:i1]
        if not seg or not rate:
            return None
        return sum(1 for x in seg if 8 * x / b < 0.5 * rate) / len(seg)

    out["up_under_half"] = under(stats["bins_up"], link_up)
    out["down_under_half"] = under(stats["bins_down"], link_down)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="50 small, 5 large, 2,000 listed/exported")
    ap.add_argument("--keep", action="store_true", help="keep the work folder (logs, traces, exports)")
    ap.add_argument("--up-rate", default=os.environ.get("NET_UP_RATE", "50mbit"))
    ap.add_argument("--down-rate", default=os.environ.get("NET_DOWN_RATE", "50mbit"))
    ap.add_argument("--rtt-ms", type=float, default=50.0)
    ap.add_argument("--connect-rtts", type=float, default=1.0,
                    help="round trips a new connection costs before its first bytes (1 = TCP)")
    ap.add_argument("--sdk-large", type=int, default=None, help="large images the SDK creates (default: all)")
    ap.add_argument("--reps", type=int, default=1, help="runs of each lab measure (median)")
    ap.add_argument("--only", default="small,large,list,export", help="scenarios, comma-separated")
    ap.add_argument("--no-compress", action="store_true",
                    help="the sandbox answers uncompressed (default: gzip/zstd as each client accepts)")
    a = ap.parse_args()
    n_small, n_large, n_list = (50, 5, 2000) if a.quick else (1000, 200, 20000)
    n_sdk_large = min(a.sdk_large or n_large, n_large)
    only = set(a.only.split(","))
    if a.reps > 8:
        raise SystemExit("--reps: at most 8")
    up_bps, down_bps = parse_rate(a.up_rate), parse_rate(a.down_rate)
    ns_s, addr_s = os.environ["NET_NS_SERVER"], os.environ["NET_SERVER_ADDR"]
    sandbox_bin, lab_bin = os.environ["LAB_SANDBOX_BIN"], os.environ["LAB_BIN"]
    job_bin = os.environ.get("JOB_BENCH_BIN")
    sdk = [sys.executable, str(BENCH / "sdk_bench.py")]

    work = pathlib.Path(tempfile.mkdtemp(prefix="labdesk-netbench-"))
    logs = work / "logs"
    logs.mkdir()
    print(f"net-bench: work folder {work}", file=sys.stderr)
    t_img = time.perf_counter()
    if "small" in only:
        write_images(work / "small", n_small, SMALL_SIDE)
    if "large" in only:
        write_images(work / "large", n_large, LARGE_SIDE)
        if n_sdk_large < n_large:  # the SDK's share: the first n_sdk_large files
            (work / "large-sdk").mkdir()
            for p in sorted((work / "large").iterdir())[:n_sdk_large]:
                os.link(p, work / "large-sdk" / p.name)
    sizes = {k: sum(p.stat().st_size for p in (work / k).iterdir()) for k in ("small", "large") if k in only}
    print(f"net-bench: images made in {time.perf_counter() - t_img:.1f} s", file=sys.stderr)

    # --- the link alone: tbf without the relay, then through the relay (RTT, rates) ---------
    probe_mb = 10 if a.quick else 30
    peer = subprocess.Popen(["ip", "netns", "exec", ns_s, sys.executable, str(RELAY), "peer", "--listen",
                             f"{addr_s}:0"], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    link = {}
    try:
        peer_addr = start_line(peer, "calibration peer")

        def probe(target, pings):
            out = subprocess.run([sys.executable, str(RELAY), "probe", "--target", target, "--pings", str(pings),
                                  "--up-mb", str(probe_mb), "--down-mb", str(probe_mb)],
                                 capture_output=True, text=True, check=True, timeout=600).stdout
            return json.loads(out.strip().splitlines()[-1])

        link["direct"] = probe(peer_addr, 5)
        r = Relay(peer_addr, a.rtt_ms, a.connect_rtts, logs / "probe.relay.json", logs / "probe.trace.jsonl")
        try:
            link["relay"] = probe(r.addr, 20)
        finally:
            r.stop()
    finally:
        peer.terminate()
        peer.wait()
    for k, v in link.items():
        print(f"net-bench: link {k}: RTT {v['rtt_ms']:.1f} ms, up {v['up_payload_bps'] / 1e6:.1f} Mbit/s, "
              f"down {v['down_payload_bps'] / 1e6:.1f} Mbit/s (payload)", file=sys.stderr)

    seed = work / "seed.json"
    seed.write_text(json.dumps(make_seed(n_list, 10)))
    reqlog = work / "requests.jsonl"
    t0 = time.perf_counter()
    sb = NetSandbox(sandbox_bin, work / "data", seed, ns_s, addr_s, reqlog, not a.no_compress).start()
    seed_s = time.perf_counter() - t0
    upstream = urllib.parse.urlsplit(sb.url).netloc
    print(f"net-bench: sandbox at {sb.url} in {ns_s} (seeded {n_list} tasks in {seed_s:.1f} s)", file=sys.stderr)
    base_env = dict(os.environ, ISAHIT_LAB_API_ACCESS_ID=ACCESS_ID, ISAHIT_LAB_API_SECRET_KEY=SECRET_KEY,
                    PYTHONUNBUFFERED="1", LABDESK_ACTIVITY_DB=str(work / "activity.db"), NO_COLOR="1")
    direct_env = dict(base_env, ISAHIT_LAB_API_ENDPOINT=sb.url)  # checks, not measured
    rows = []

    def measured(name, cmd, side, scenario, tasks, sdk_json):
        relay = Relay(upstream, a.rtt_ms, a.connect_rtts, logs / f"{name}.relay.json", logs / f"{name}.trace.jsonl")
        env = dict(base_env, ISAHIT_LAB_API_ENDPOINT=f"http://{relay.addr}/")
        log_off = reqlog.stat().st_size if reqlog.exists() else 0
        t_unix = time.time()
        try:
            wall, rss, out = timed(cmd, env, logs, name,
                                   stdout=None if sdk_json or side == "jobs" else subprocess.DEVNULL)
        finally:
            stats, turns = relay.stop()
        seconds = json.loads(out.strip().splitlines()[-1])["seconds"] if sdk_json else wall
        time.sleep(0.2)
        with open(reqlog, "rb") as f:
            f.seek(log_off)
            reqs = [json.loads(line) for line in f.read().decode().splitlines() if line.strip()]
        statuses = collections.Counter(r["status"] for r in reqs)
        encodings = collections.Counter(r["encoding"] for r in reqs if r.get("encoding"))
        diag = analyze(turns, stats, t_unix, seconds, up_bps, down_bps)
        row = dict(scenario=scenario, side=side, tasks=tasks, seconds=seconds, wall=wall, rss=rss,
                   up=stats["bytes_up"], down=stats["bytes_down"], conns=stats["connections"],
                   requests=len(reqs), statuses=dict(statuses), encodings=dict(encodings), diag=diag)
        if side == "jobs" and out:
            row["jobs"] = json.loads(out.strip().splitlines()[-1])
        print(f"net-bench: {scenario:<14} {side:<4} {tasks:>6} tasks {seconds:8.2f} s  up {row['up'] / 1e6:8.1f} MB "
              f"down {row['down'] / 1e6:7.1f} MB  {len(reqs)} requests, {row['conns']} connections, "
              f"{rss:.0f} MiB", file=sys.stderr)
        bad = {k: v for k, v in statuses.items() if k >= 400}
        if bad:
            print(f"net-bench: {name}: error statuses {bad}", file=sys.stderr)
        return row

    def lab_measured(name, args, scenario, tasks):
        """`lab` a.reps times (args: a list, or a function of the repetition), the median run."""
        samples = []
        for r in range(a.reps):
            argv = args(r) if callable(args) else args
            samples.append(measured(f"{name}-{r}", [lab_bin, *argv], "lab", scenario, tasks, False))
        samples.sort(key=lambda x: x["seconds"])
        row = samples[len(samples) // 2]
        if a.reps > 1:
            row["note"] = "runs: " + ", ".join(f"{x['seconds']:.2f}" for x in samples)
        return row

    def batch_count(batch):
        out = subprocess.run([lab_bin, "tasks", "--project", P_CREATE, "--batch", batch, "--raw-data", "-q"],
                             env=direct_env, capture_output=True, text=True, check=True).stdout
        return len(out.splitlines())

    checks = []
    try:
        for key, folder, n, n_sdk, rep in (("small", "small", n_small, n_small, 0),
                                           ("large", "large", n_large, n_sdk_large, 1)):
            if key not in only:
                continue
            scen = f"create {key}"
            sdk_folder = folder if n_sdk == n else "large-sdk"
            rows.append(measured(f"{key}-sdk", [*sdk, "create", P_CREATE, create_batch("sdk", rep),
                                                str(work / sdk_folder)], "SDK", scen, n_sdk, True))
            batches = [create_batch("lab", rep + 2 * r) for r in range(a.reps)]  # a fresh batch each run
            rows.append(lab_measured(f"{key}-lab", lambda r: ["create-tasks", "--project", P_CREATE, "--batch",
                                                              batches[r], str(work / folder)], scen, n))
            got_sdk, got_lab = batch_count(create_batch("sdk", rep)), [batch_count(b) for b in batches]
            checks.append(f"{scen}: SDK batch {got_sdk}/{n_sdk} tasks, lab batch(es) "
                          + ", ".join(f"{g}/{n}" for g in got_lab))
            if got_sdk != n_sdk or any(g != n for g in got_lab):
                raise SystemExit(f"{scen}: wrong task counts ({checks[-1]}); see {logs}")
            if job_bin and 2 * a.reps + rep <= 8:
                # the window's job engine (lab-jobs: journal + run_create_job), same link, own batch
                jb = create_batch("lab", 2 * a.reps + rep)
                rows.append(measured(f"{key}-jobs", [job_bin, "--project", P_CREATE, "--batch", jb, "--journal-dir",
                                                     str(work / f"journal-{key}"), str(work / folder)],
                                     "jobs", scen, n, False))
                got = batch_count(jb)
                checks.append(f"{scen}: jobs batch {got}/{n}")
                if got != n:
                    raise SystemExit(f"{scen}: wrong task counts ({checks[-1]}); see {logs}")
        if "list" in only:
            rows.append(measured("list-sdk", [*sdk, "list", P_BIG], "SDK", "list", n_list, True))
            rows.append(lab_measured("list-lab", ["tasks", "--project", P_BIG, "--quiet"], "list", n_list))
        if "export" in only:
            exp = work / "exports"
            rows.append(measured("export-sdk", [*sdk, "export", P_BIG, "lab", str(exp / "sdk")], "SDK",
                                 "export lab", n_list, True))

            def fresh(r):
                folder = exp / f"lab-{r}"
                shutil.rmtree(folder, ignore_errors=True)
                folder.mkdir(parents=True)

            def export_args(r):
                fresh(r)
                return ["export", "--project", P_BIG, "--format", "lab", "--output-folder", str(exp / f"lab-{r}"),
                        "--quiet"]

            rows.append(lab_measured("export-lab", export_args, "export lab", n_list))
            counts = {}
            for side, folder in (("SDK", exp / "sdk"), ("lab", exp / "lab-0")):
                files = [f for f in folder.iterdir() if f.suffix == ".json" and not f.name.endswith(".manifest.json")]
                counts[side] = len(json.loads(files[0].read_text())) if files else None
            checks.append(f"export lab: SDK {counts['SDK']} tasks, lab {counts['lab']} tasks (expected {n_list})")
            if counts["SDK"] != n_list or counts["lab"] != n_list:
                raise SystemExit(f"export: wrong task counts ({checks[-1]}); see {logs}")
    finally:
        sb.stop()

    report = render(rows, a, n_small, n_large, n_sdk_large, n_list, sizes, up_bps, down_bps, link, seed_s, checks)
    (logs / "rows.json").write_text(json.dumps({"rows": rows, "link": link}, indent=1))
    write_report(report, "net-bench", a.quick, "-network", work, a.keep)


def mb(x):
    return f"{x / 1e6:,.1f}"


def render(rows, a, n_small, n_large, n_sdk_large, n_list, sizes, up_bps, down_bps, link, seed_s, checks):
    def find(scen, side):
        return next((r for r in rows if r["scenario"] == scen and r["side"] == side), None)

    rl, dl = link.get("relay", {}), link.get("direct", {})
    lines = [
        f"# Lab Desk network benchmark (issue 19) — {dt.datetime.now():%Y-%m-%d %H:%M}"
        f"{' (--quick)' if a.quick else ''}",
        "",
        f"Link: netns labnet-c → veth → netns labnet-s, tc tbf {a.up_rate} up (client→server) and "
        f"{a.down_rate} down, RTT {a.rtt_ms:g} ms added by bench/network/relay.py ({a.rtt_ms / 2:g} ms held each "
        f"way; a new connection's first bytes {a.connect_rtts:g} RTT later: the TCP handshake). "
        f"Measured before the runs ({'10' if a.quick else '30'} MB each way, TCP payload): tbf alone "
        f"RTT {dl.get('rtt_ms', 0):.2f} ms, up {dl.get('up_payload_bps', 0) / 1e6:.1f} / down "
        f"{dl.get('down_payload_bps', 0) / 1e6:.1f} Mbit/s; through the relay RTT {rl.get('rtt_ms', 0):.1f} ms, "
        f"up {rl.get('up_payload_bps', 0) / 1e6:.1f} / down {rl.get('down_payload_bps', 0) / 1e6:.1f} Mbit/s "
        f"(headers take ~4 % of the tbf rate at MTU 1500).",
        f"Machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} at the end; release builds; sandbox "
        f"seeded with {n_list} tasks in {seed_s:.1f} s. SDK isahitlab 0.17.0: its call only (imports "
        f"excluded), with its defaults (0.5 s sleep between pages); `lab`: the whole process, defaults "
        f"(adaptive concurrency: creates from 8 up to 32 in flight, pages from 4 up to 32); jobs: the window's "
        f"create job engine (lab-jobs journal + run_create_job, example job_bench, whole process, journal in a "
        f"temp dir, ceiling 32); median of {a.reps} for `lab`, one SDK run, one jobs run.",
        f"Compression: {'off (the sandbox answers identity)' if a.no_compress else 'the sandbox compresses answers (--compress: gzip or zstd, as each client accepts; the SDK (requests) sends Accept-Encoding gzip, deflate, lab gzip, zstd)'}; Up/Down MB are the bytes on the wire (TCP payload through the relay), compressed where the answer was. Enc: answers compressed, by encoding (request log).",
    ]
    img = []
    if "small" in sizes:
        img.append(f"small = {n_small} PNGs of {sizes['small'] / n_small / 1e3:.0f} KB")
    if "large" in sizes:
        img.append(f"large = {n_large} PNGs of {sizes['large'] / n_large / 1e6:.2f} MB"
                   + (f" (the SDK creates the first {n_sdk_large} only: its tasks/s is compared)"
                      if n_sdk_large < n_large else ""))
    if img:
        lines.append("Create: " + "; ".join(img) + ", one task per image, each side into its own batch.")
    lines += [
        "",
        "Up/Down: TCP payload through the relay ÷ time, and its share of the tbf rate. Requests: lines of the "
        "sandbox's --request-log during the run. Conns: TCP connections the client opened (relay).",
        "",
        "| Scenario | Side | Tasks | Time (s) | Tasks/s | Up MB | Up Mbit/s (% link) | Down MB | "
        "Down Mbit/s (% link) | Requests | Req/task | Conns | Enc | Peak RSS (MiB) | lab/SDK |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|",
    ]
    for r in rows:
        rate = r["tasks"] / r["seconds"]
        upr, dnr = 8 * r["up"] / r["seconds"], 8 * r["down"] / r["seconds"]
        ratio = ""
        if r["side"] == "lab":
            s = find(r["scenario"], "SDK")
            if s:
                ratio = f"{rate / (s['tasks'] / s['seconds']):.1f}× tasks/s"
            if r.get("note"):
                ratio += f" ({r['note']})"
        if r["side"] == "jobs":
            lab_row = find(r["scenario"], "lab")
            if lab_row:
                ratio = f"time {r['seconds'] / lab_row['seconds']:.2f}× lab's"
            j = r.get("jobs") or {}
            if j:
                ratio += f"; {j.get('progress_events')} progress events, {j.get('journal_writes')} journal writes"
        enc = ", ".join(f"{k} {v}" for k, v in sorted((r.get("encodings") or {}).items())) or "—"
        lines.append(
            f"| {r['scenario']} | {r['side']} | {r['tasks']} | {r['seconds']:.2f} | {rate:,.1f} | {mb(r['up'])} | "
            f"{upr / 1e6:.1f} ({100 * upr / up_bps:.0f}%) | {mb(r['down'])} | {dnr / 1e6:.1f} ({100 * dnr / down_bps:.0f}%) | "
            f"{r['requests']} | {r['requests'] / r['tasks']:.2f} | {r['conns']} | {enc} | {r['rss']:.1f} | {ratio} |")

    lines += ["", "## Targets (issue 19)", "", "| Target | Measured | Met |", "|---|---|---|"]

    def target(name, value, ok):
        lines.append(f"| {name} | {value} | {'yes' if ok else '**no**'} |")

    def speedup(scen):
        s, lab = find(scen, "SDK"), find(scen, "lab")
        if not (s and lab):
            return None
        return (lab["tasks"] / lab["seconds"]) / (s["tasks"] / s["seconds"])

    sp = speedup("create small")
    if sp is not None:
        target(f"create {n_small} small images ≥ {TARGETS['small']:g}× the SDK's tasks/s", f"{sp:.1f}×",
               sp >= TARGETS["small"])
    lab = find("create large", "lab")
    if lab:
        u = 8 * lab["up"] / lab["seconds"]
        target(f"create {n_large} large images ≥ {100 * TARGETS['large_link']:.0f}% of the link's upload rate",
               f"{u / 1e6:.1f} Mbit/s = {100 * u / up_bps:.0f}% of {a.up_rate} "
               f"({100 * u / rl.get('up_payload_bps', up_bps):.0f}% of the payload measured through the relay)",
               u >= TARGETS["large_link"] * up_bps)
    sp = speedup("export lab")
    if sp is not None:
        target(f"export {n_list} tasks ≥ {TARGETS['export']:g}× the SDK", f"{sp:.1f}×", sp >= TARGETS["export"])
    for scen in ("create small", "create large"):
        j, lab = find(scen, "jobs"), find(scen, "lab")
        if j and lab:
            x = j["seconds"] / lab["seconds"]
            target(f"{scen}: the window's job engine within {TARGETS['jobs']:g}× of `lab create-tasks`",
                   f"{j['seconds']:.2f} s vs {lab['seconds']:.2f} s = {x:.2f}×", x <= TARGETS["jobs"])
    sp = speedup("list")
    if sp is not None:
        lines.append(f"| (no target) list {n_list} tasks | {sp:.1f}× the SDK | — |")

    lines += ["", "## Bounds of this link", "",
              "Two floors, each alone: the bytes the side moved ÷ the payload rate measured through the relay "
              "(the busier direction); and its requests × the RTT ÷ the most requests it had in flight at once "
              "(what the round trips cost at the client's own concurrency if each request cost one RTT and "
              "nothing else).", "",
              "| Scenario | Side | Bytes ÷ link (s) | Requests × RTT ÷ peak in flight (s) | Time (s) | "
              "Bytes floor / time |",
              "|---|---|---:|---:|---:|---:|"]
    rtt = rl.get("rtt_ms", a.rtt_ms) / 1000
    for r in rows:
        floor = max(8 * r["up"] / rl.get("up_payload_bps", up_bps), 8 * r["down"] / rl.get("down_payload_bps", down_bps))
        d = r["diag"]
        rtt_floor = d["turns"] * rtt / max(d.get("inflight_peak", 1), 1) if d.get("turns") else 0.0
        lines.append(f"| {r['scenario']} | {r['side']} | {floor:.2f} | {rtt_floor:.2f} "
                     f"(peak {d.get('inflight_peak', 0)}) | {r['seconds']:.2f} | {100 * floor / r['seconds']:.0f}% |")

    lines += ["", "## Where the time goes (relay trace, client's view)", "",
              "Per request kind: count, median latency from the request's first byte to the answer's last, "
              "of which sending the request (send) and waiting for the answer's first byte (wait: the round "
              "trip + the sandbox); first = when the first such request started, seconds after the process "
              "started. In flight = requests open at once (mean over the active span / peak). Idle = time a "
              "connection sat between an answer and its next request (median). Under half = share of 100 ms "
              "bins of the active span where that direction carried less than half its rate.", ""]
    for r in rows:
        d = r["diag"]
        if not d.get("turns"):
            continue
        lines.append(f"**{r['scenario']}, {r['side']}** — {d['turns']} requests seen, first after "
                     f"{d['to_first_request']:.2f} s, active {d['active_span']:.2f} s; in flight mean "
                     f"{d['inflight_mean']:.1f} / peak {d['inflight_peak']}; requests per connection "
                     f"{', '.join(map(str, d['per_conn'][-8:]))}{' …' if len(d['per_conn']) > 8 else ''}; "
                     f"idle median {1000 * d['gap_med']:.0f} ms (sum {d['gap_sum']:.1f} s); under half: up "
                     f"{pct(d['up_under_half'])}, down {pct(d['down_under_half'])}.")
        lines += ["", "| Request | n | first (s) | latency med / p90 (ms) | send med (ms) | wait med (ms) | "
                      "up / down med (KB) |", "|---|---:|---:|---:|---:|---:|---:|"]
        for k in d["kinds"]:
            lines.append(f"| {k['kind']} | {k['n']} | {k['first']:.2f} | {1000 * k['lat_med']:.0f} / "
                         f"{1000 * k['lat_p90']:.0f} | {1000 * k['send_med']:.0f} | {1000 * k['wait_med']:.0f} | "
                         f"{k['up_med'] / 1e3:.1f} / {k['down_med'] / 1e3:.1f} |")
        lines.append("")
    errs = [f"{r['scenario']} {r['side']}: {r['statuses']}" for r in rows if any(int(s) >= 400 for s in r["statuses"])]
    lines += ["Checks: " + "; ".join(checks) + "."]
    if errs:
        lines.append("Error statuses in the request log: " + "; ".join(errs) + ".")
    lines.append("")
    return "\n".join(lines)


def pct(x):
    return "—" if x is None else f"{100 * x:.0f}%"


if __name__ == "__main__":
    main()
