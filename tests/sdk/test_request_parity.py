"""Request parity (issue 3, item 3): the same action done by the SDK and by `lab` against two
fresh sandboxes with identical seeds gives the same requests, as recorded by --request-log.

Compared per request: method, path, query as a multiset of pairs, content type, JSON body and
multipart field names / file names / sizes. Normalised away: login (each side logs in its own
way), generated ids (uploaded files, data ids), grant tokens and UUIDs. Read-only preflight
calls (projects, project configuration) are compared as a set (each side may look them up a
different number of times); everything else as a multiset."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

import labtest
from labtest import BATCH_IDS, PROJECT_IDS, SEED_TASK_IDS, json_lines, run_lab, valid_data

PID = PROJECT_IDS["iat-rectangle"]
URL_RES = "https://example.invalid/images/remote-1.jpg"
UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


# ------------------------------------------------------------------------------------------
# request-log normalisation
# ------------------------------------------------------------------------------------------

def _get(entry, *keys, default=None):
    for k in keys:
        if k in entry:
            return entry[k]
    return default


def _pairs(query):
    """Query pairs from the log: [[k, v], …], [{name|key, value}, …], {k: v|[v…]} or a raw string."""
    if query is None:
        return []
    if isinstance(query, str):
        from urllib.parse import parse_qsl

        return parse_qsl(query.lstrip("?"), keep_blank_values=True)
    if isinstance(query, dict):
        out = []
        for k, v in query.items():
            for x in (v if isinstance(v, list) else [v]):
                out.append((k, x))
        return out
    out = []
    for p in query:
        if isinstance(p, dict):
            out.append((_get(p, "name", "key", "k"), _get(p, "value", "v")))
        else:
            out.append((p[0], p[1]))
    return out


def _scrub(value):
    """Replace generated values (uuids) inside any string."""
    if isinstance(value, str):
        return UUID_RE.sub("<uuid>", value)
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items()}
    return value


GENERATED_KEYS = {"dataId", "grantResources", "grantData", "accessToken", "access_token", "initialDataId"}


def _norm_json(path, body):
    if body is None:
        return None
    body = _scrub(body)
    if isinstance(body, dict):
        body = dict(body)
        for k in GENERATED_KEYS & set(body):
            if body[k] is not None:
                body[k] = "<generated>"
        if isinstance(body.get("resources"), list):
            body["resources"] = [({**r, "id": "<file>"} if isinstance(r, dict) and "id" in r else r)
                                 for r in body["resources"]]
        if path.endswith("grant/files") and isinstance(body.get("ids"), list):
            body["ids"] = ["<file>"] * len(body["ids"])
        if path.endswith("/tasks/properties") and isinstance(body.get("score"), (int, float)):
            body["score"] = float(body["score"])
    return body


def _norm_multipart(parts):
    if parts is None:
        return None
    out = []
    for p in parts if isinstance(parts, list) else [{"name": k, **(v if isinstance(v, dict) else {"value": v})}
                                                    for k, v in parts.items()]:
        if not isinstance(p, dict):
            out.append(_scrub(p))
            continue
        item = {"name": _get(p, "name", "field")}
        fname = _get(p, "file_name", "filename", "fileName")
        if fname is not None:
            item["file_name"] = fname
        item["size"] = _get(p, "size", "bytes", "len", "length")
        v = _get(p, "value", "text")
        if v is not None:
            item["value"] = _scrub(v)
        out.append(item)
    return sorted(out, key=lambda d: json.dumps(d, sort_keys=True))


def _content_type(entry):
    ct = _get(entry, "content_type", "contentType", "content-type") or ""
    return ct.split(";")[0].strip().lower()


def normalise(entry):
    method = str(_get(entry, "method")).upper()
    path = str(_get(entry, "path", "uri"))
    if "?" in path:
        path, q = path.split("?", 1)
        query = _pairs(q)
    else:
        query = _pairs(_get(entry, "query", "query_pairs", "queryPairs"))
    path = "/" + path.lstrip("/")
    query = sorted((k, _scrub(v)) for k, v in query)
    return {
        "method": method,
        "path": _scrub(path),
        "query": query,
        "content_type": _content_type(entry),
        "json": _norm_json(path, _get(entry, "json", "body", "json_body")),
        "multipart": _norm_multipart(_get(entry, "multipart", "parts", "fields")),
        "status": _get(entry, "status"),
    }


def is_login(n):
    return n["path"].endswith("/auth/login")


def is_preflight(n):
    return n["method"] == "GET" and ("/project-manager/" in n["path"] or "/project-configuration-manager/" in n["path"])


def key(n):
    return json.dumps(n, sort_keys=True)


def compare(sdk_log, lab_log, only=None):
    a = [normalise(e) for e in sdk_log]
    b = [normalise(e) for e in lab_log]
    a = [n for n in a if not is_login(n) and (only is None or only(n))]
    b = [n for n in b if not is_login(n) and (only is None or only(n))]
    core_a = Counter(key(n) for n in a if not is_preflight(n))
    core_b = Counter(key(n) for n in b if not is_preflight(n))
    pre_a = {key(n) for n in a if is_preflight(n)}
    pre_b = {key(n) for n in b if is_preflight(n)}
    problems = []
    for k in sorted((core_a - core_b).keys()):
        problems.append(f"only SDK ({(core_a - core_b)[k]}x): {k}")
    for k in sorted((core_b - core_a).keys()):
        problems.append(f"only lab ({(core_b - core_a)[k]}x): {k}")
    for k in sorted(pre_a - pre_b):
        problems.append(f"preflight only SDK: {k}")
    for k in sorted(pre_b - pre_a):
        problems.append(f"preflight only lab: {k}")
    assert a, "the SDK made no request at all (test setup problem)"
    assert not problems, "requests differ between SDK and lab:\n" + "\n".join(problems)


# ------------------------------------------------------------------------------------------
# fixtures
# ------------------------------------------------------------------------------------------

@pytest.fixture
def pair(tmp_path):
    """Two fresh sandboxes from one seed, both with a request log: (for the SDK, for lab)."""
    seed = labtest.write_seed(tmp_path / "seed.json")
    sides = []
    for name in ("sdk", "lab"):
        sb = labtest.Sandbox(data_dir=tmp_path / name / "data", seed=seed,
                             request_log=tmp_path / name / "requests.jsonl")
        sides.append(sb)
    try:
        for sb in sides:
            sb.start()
        yield sides[0], sides[1]
    finally:
        for sb in sides:
            sb.stop()


def lab_ok(sb, *args, expect_ok=True):
    try:
        res = run_lab(sb, *args)
    except AssertionError as e:  # binary missing
        pytest.fail(f"`lab` is not available: {e}")
    if expect_ok:
        assert res.returncode == 0, (f"`lab {' '.join(args)}` exited {res.returncode}\n"
                                     f"stdout: {res.stdout[-2000:]}\nstderr: {res.stderr[-2000:]}")
    else:
        assert res.returncode != 0, f"`lab {' '.join(args)}` should have failed; stdout: {res.stdout[-1000:]}"
        assert res.stderr.strip(), "`lab` failed without a message on stderr"
    return res


def run_both(pair, sdk_action, lab_args, lab_expect_ok=True):
    s, l = pair
    m1 = s.log_mark()
    sdk_action(s.sdk())
    m2 = l.log_mark()
    res = lab_ok(l, *lab_args, expect_ok=lab_expect_ok)
    return s.log_since(m1), l.log_since(m2), res


def only_tasks_list(n):
    return n["method"] == "GET" and n["path"].endswith("/api/task-manager/tasks")


# ------------------------------------------------------------------------------------------
# tasks(): each filter kind
# ------------------------------------------------------------------------------------------

BR = BATCH_IDS["iat-rectangle"]
FILTER_CASES = [
    ("project", {}, []),
    ("batch_id_in", {"batch_id_in": [BR["main"], BR["other"]]}, ["--batch", BR["main"], "--batch", BR["other"]]),
    ("status_in", {"status_in": ["pending", "to-review"]}, ["--status", "pending", "--status", "to-review"]),
    ("task_id_in", {"task_id_in": SEED_TASK_IDS[:2]}, ["--task-id", SEED_TASK_IDS[0], "--task-id", SEED_TASK_IDS[1]]),
    ("name_in", {"name_in": ["seeded-1.png", "n 2"]}, ["--name", "seeded-1.png", "--name", "n 2"]),
    ("name_like", {"name_like": "^seeded-[12].*"}, ["--name-like", "^seeded-[12].*"]),
    ("data", {"data": {"comment": "urgent matter", "count": 3}}, ["--data", "comment=urgent matter", "--data", "count=3"]),
    ("properties", {"properties": {"score": 2}}, ["--property", "score=2"]),
    ("created_at", {"created_at_gte": "2022-01-01 00:00:00", "created_at_lt": "2030-01-01 00:00:00"},
     ["--created-gte", "2022-01-01 00:00:00", "--created-lt", "2030-01-01 00:00:00"]),
    ("created_at_gt_lte", {"created_at_gt": "2022-01-01 00:00:00", "created_at_lte": "2030-01-01 00:00:00"},
     ["--created-gt", "2022-01-01 00:00:00", "--created-lte", "2030-01-01 00:00:00"]),
    ("updated_at", {"updated_at_gt": "2024-02-01 10:00:00", "updated_at_lte": "2030-01-01 00:00:00"},
     ["--updated-gt", "2024-02-01 10:00:00", "--updated-lte", "2030-01-01 00:00:00"]),
    ("updated_at_gte_lt", {"updated_at_gte": "2024-02-01 10:00:00", "updated_at_lt": "2030-01-01 00:00:00"},
     ["--updated-gte", "2024-02-01 10:00:00", "--updated-lt", "2030-01-01 00:00:00"]),
    ("optional_fields", {"optional_fields": ["data", "jobs", "metrics"]},
     ["--optional-field", "data", "--optional-field", "jobs", "--optional-field", "metrics"]),
    ("last_annotator", {"optional_fields": ["data", "lastAnnotator"]},
     ["--optional-field", "data", "--optional-field", "lastAnnotator"]),
    ("everything", {"batch_id_in": [BR["other"]], "status_in": ["complete"], "task_id_in": SEED_TASK_IDS,
                    "name_in": ["seeded-1.png", "seeded-2.png"], "name_like": "seeded", "data": {"image.width": 40},
                    "properties": {"score": 1}, "created_at_gte": "2024-01-01 00:00:00",
                    "updated_at_lt": "2025-01-01 00:00:00", "optional_fields": ["data", "data.mask"]},
     ["--batch", BR["other"], "--status", "complete"] + sum((["--task-id", t] for t in SEED_TASK_IDS), []) +
     ["--name", "seeded-1.png", "--name", "seeded-2.png", "--name-like", "seeded", "--data", "image.width=40",
      "--property", "score=1", "--created-gte", "2024-01-01 00:00:00", "--updated-lt", "2025-01-01 00:00:00",
      "--optional-field", "data", "--optional-field", "data.mask"]),
]


@pytest.mark.parametrize("kw, args", [(c[1], c[2]) for c in FILTER_CASES], ids=[c[0] for c in FILTER_CASES])
def test_tasks_filter_requests(pair, kw, args):
    sdk_log, lab_log, res = run_both(
        pair, lambda sdk: sdk.tasks(PID, raw_data=True, disable_progress_bar=True, **kw),
        ["tasks", "--project", PID, "--raw-data", *args])
    compare(sdk_log, lab_log, only=only_tasks_list)
    # and the same tasks come out
    sdk_ids = {t["_id"] for t in pair[0].sdk().tasks(PID, raw_data=True, disable_progress_bar=True, **kw)}
    assert {t["_id"] for t in json_lines(res.stdout)} == sdk_ids


def test_tasks_default_view_requests(pair):
    """Without --raw-data both read the configuration (lab view) and ask for data."""
    sdk_log, lab_log, res = run_both(pair, lambda sdk: sdk.tasks(PID, disable_progress_bar=True),
                                     ["tasks", "--project", PID])
    compare(sdk_log, lab_log)
    out = {t["_id"]: t for t in json_lines(res.stdout)}
    expected = {t["_id"]: t for t in pair[0].sdk().tasks(PID, disable_progress_bar=True)}
    assert set(out) == set(expected)
    for tid, t in expected.items():
        assert out[tid]["data"] == t["data"]


# ------------------------------------------------------------------------------------------
# create: files, URLs, data, duplicates
# ------------------------------------------------------------------------------------------

def test_create_with_files_requests(pair, images):
    files = [images["png1"], images["jpg1"], images["png2"]]
    b = BATCH_IDS["iat-polygon"]["main"]
    pid = PROJECT_IDS["iat-polygon"]
    sdk_log, lab_log, _ = run_both(
        pair,
        lambda sdk: sdk.create_tasks(pid, b, [{"name": f.name, "resources": [str(f)]} for f in files],
                                     disable_progress_bar=True),
        ["create-tasks", "--project", pid, "--batch", b, *map(str, files)])
    compare(sdk_log, lab_log)
    uploads = [normalise(e) for e in lab_log if "file-manager/files" in normalise(e)["path"]]
    assert len(uploads) == 3
    for side in pair:
        got = sorted(t["name"] for t in side.sdk().tasks(pid, batch_id_in=[b], raw_data=True, disable_progress_bar=True))
        assert got == sorted(f.name for f in files)


def test_create_with_folder_requests(pair, images):
    folder = images["folder"]
    b = BATCH_IDS["iat-rectangle"]["main"]
    sdk_log, lab_log, _ = run_both(
        pair,
        lambda sdk: sdk.create_tasks(PID, b, [{"name": p.name, "resources": [str(p)]} for p in sorted(folder.iterdir())],
                                     disable_progress_bar=True),
        ["create-tasks", "--project", PID, "--batch", b, str(folder)])
    compare(sdk_log, lab_log)


@pytest.mark.parametrize("ptype", list(PROJECT_IDS))
def test_create_with_urls_and_data_requests(pair, images, tmp_path, ptype):
    pid, b = PROJECT_IDS[ptype], BATCH_IDS[ptype]["main"]
    tasks = [
        {"name": "url+data", "resources": [URL_RES], "data": valid_data(ptype), "properties": {"score": 2}},
        {"name": "resource only", "resources": ["resource://bucket/x.png"]},
        {"name": "file+data.png", "resources": [str(images["png1"])], "data": valid_data(ptype),
         "properties": {"custom": {"k": "v"}}},
        {"name": "data only", "data": valid_data(ptype)},
    ]
    f = tmp_path / "tasks.json"
    f.write_text(json.dumps(tasks))
    sdk_log, lab_log, _ = run_both(
        pair, lambda sdk: sdk.create_tasks(pid, b, json.loads(f.read_text()), disable_progress_bar=True),
        ["create-tasks", "--project", pid, "--batch", b, "--tasks", str(f)])
    compare(sdk_log, lab_log)
    for side in pair:
        got = side.sdk().tasks(pid, batch_id_in=[b], optional_fields=["data", "data.mask"], disable_progress_bar=True)
        assert sorted(t["name"] for t in got) == sorted(t["name"] for t in tasks)
    a = {t["name"]: t["data"] for t in pair[0].sdk().tasks(pid, batch_id_in=[b], optional_fields=["data", "data.mask"],
                                                            disable_progress_bar=True)}
    c = {t["name"]: t["data"] for t in pair[1].sdk().tasks(pid, batch_id_in=[b], optional_fields=["data", "data.mask"],
                                                            disable_progress_bar=True)}
    assert a == c


def _setup_existing(pair, pid, b):
    for side in pair:
        side.sdk().create_tasks(pid, b, [{"name": "d1", "resources": [URL_RES]}, {"name": "d 2", "resources": [URL_RES]}],
                                disable_progress_bar=True)


def test_duplicates_refused_requests(pair, tmp_path):
    pid, b = PROJECT_IDS["iat-graph"], BATCH_IDS["iat-graph"]["main"]
    _setup_existing(pair, pid, b)
    tasks = [{"name": "d 2", "resources": [URL_RES]}, {"name": "d3", "resources": [URL_RES]}]
    f = tmp_path / "dups.json"
    f.write_text(json.dumps(tasks))

    def sdk_action(sdk):
        with pytest.raises(Exception, match="already exist"):
            sdk.create_tasks(pid, b, tasks, disable_progress_bar=True)

    sdk_log, lab_log, res = run_both(pair, sdk_action, ["create-tasks", "--project", pid, "--batch", b,
                                                        "--tasks", str(f)], lab_expect_ok=False)
    compare(sdk_log, lab_log)
    assert "d 2" in res.stderr
    for side in pair:
        assert sorted(t["name"] for t in side.sdk().tasks(pid, batch_id_in=[b], raw_data=True,
                                                           disable_progress_bar=True)) == ["d 2", "d1"]


def test_duplicates_skipped_requests(pair, tmp_path):
    pid, b = PROJECT_IDS["iat-graph"], BATCH_IDS["iat-graph"]["main"]
    _setup_existing(pair, pid, b)
    tasks = [{"name": "d 2", "resources": [URL_RES]}, {"name": "d3", "resources": [URL_RES]}]
    f = tmp_path / "dups.json"
    f.write_text(json.dumps(tasks))
    sdk_log, lab_log, _ = run_both(
        pair, lambda sdk: sdk.create_tasks(pid, b, tasks, raise_if_existing=False, disable_progress_bar=True),
        ["create-tasks", "--project", pid, "--batch", b, "--tasks", str(f), "--skip-existing"])
    compare(sdk_log, lab_log)
    for side in pair:
        assert sorted(t["name"] for t in side.sdk().tasks(pid, batch_id_in=[b], raw_data=True,
                                                           disable_progress_bar=True)) == ["d 2", "d1", "d3"]


def test_duplicates_inserted_anyway_requests(pair, tmp_path):
    pid, b = PROJECT_IDS["iat-graph"], BATCH_IDS["iat-graph"]["main"]
    _setup_existing(pair, pid, b)
    tasks = [{"name": "d1", "resources": [URL_RES]}]
    f = tmp_path / "dups.json"
    f.write_text(json.dumps(tasks))
    sdk_log, lab_log, _ = run_both(
        pair, lambda sdk: sdk.create_tasks(pid, b, tasks, disable_unicity_check=True, disable_progress_bar=True),
        ["create-tasks", "--project", pid, "--batch", b, "--tasks", str(f), "--no-unicity-check"])
    compare(sdk_log, lab_log)


# ------------------------------------------------------------------------------------------
# properties, redo, review (seed tasks: same ids on both sandboxes)
# ------------------------------------------------------------------------------------------

def _ids_args(ids):
    return sum((["--task-id", i] for i in ids), [])


def _need_seed_tasks(pair):
    for side in pair:
        got = {t["_id"] for t in side.sdk().tasks(PID, task_id_in=SEED_TASK_IDS, raw_data=True,
                                                   optional_fields=["data"], disable_progress_bar=True)}
        if got != set(SEED_TASK_IDS):
            pytest.fail("the sandbox did not create the seed tasks (batches[].tasks with _id); see bugs-lab-sandbox.md")


TARGET = [SEED_TASK_IDS[0], SEED_TASK_IDS[2], SEED_TASK_IDS[0]]


def activity_reads(lab_log):
    """Split lab's log into (the action's requests, the activity log's reads).

    `lab` records each bulk change in the activity log: it reads the tasks' values before and
    their updatedAt after (GET tasks by taskIds, no optional field). Those reads are the only
    requests it makes beyond the SDK's; everything else must match request for request."""
    action, reads = [], []
    for e in lab_log:
        n = normalise(e)
        keys = {k for k, _ in n["query"]}
        if (n["method"] == "GET" and n["path"].endswith("/api/task-manager/tasks")
                and "taskIds" in keys and "optionalFields" not in keys):
            reads.append(n)
        else:
            action.append(e)
    return action, reads


def compare_bulk(sdk_log, lab_log, n_tasks):
    action, reads = activity_reads(lab_log)
    compare(sdk_log, action)
    # before and after: one read each (at most 100 ids a read) for this many tasks
    assert 1 <= len(reads) <= 2 * (-(-n_tasks // 100)), reads
    for n in reads:
        ids = [v for k, v in n["query"] if k == "taskIds"]
        assert 1 <= len(ids) <= 100 and set(ids) <= set(TARGET), ids


def _state(side):
    return {t["_id"]: (t["status"], t.get("properties"), (t.get("data") or {}).get("body"))
            for t in side.sdk().tasks(PID, task_id_in=SEED_TASK_IDS, raw_data=True, optional_fields=["data"],
                                      disable_progress_bar=True)}


def _same_state(pair):
    a, b = _state(pair[0]), _state(pair[1])
    assert a == b
    return a


def test_update_properties_requests(pair):
    _need_seed_tasks(pair)
    sdk_log, lab_log, _ = run_both(
        pair, lambda sdk: sdk.update_properties_of_tasks(PID, TARGET, {"score": 5, "custom": {"team": "x y"}},
                                                         disable_progress_bar=True),
        ["update-properties", "--project", PID, *_ids_args(TARGET), "--score", "5", "--custom", '{"team": "x y"}'])
    compare_bulk(sdk_log, lab_log, len(TARGET))
    state = _same_state(pair)
    assert state[SEED_TASK_IDS[0]][1]["score"] == 5


def test_update_score_only_requests(pair):
    _need_seed_tasks(pair)
    sdk_log, lab_log, _ = run_both(
        pair, lambda sdk: sdk.update_properties_of_tasks(PID, TARGET, {"score": 0.5}, disable_progress_bar=True),
        ["update-properties", "--project", PID, *_ids_args(TARGET), "--score", "0.5"])
    compare_bulk(sdk_log, lab_log, len(TARGET))
    _same_state(pair)


@pytest.mark.parametrize("reset", [False, True], ids=["keep", "reset"])
def test_redo_requests(pair, reset):
    _need_seed_tasks(pair)
    sdk_log, lab_log, _ = run_both(
        pair, lambda sdk: sdk.send_tasks_to_redo(PID, TARGET, reset=reset, disable_progress_bar=True),
        ["redo", "--project", PID, *_ids_args(TARGET), *(["--reset"] if reset else [])])
    compare_bulk(sdk_log, lab_log, len(TARGET))
    state = _same_state(pair)
    assert state[SEED_TASK_IDS[0]][0] == "pending"
    assert state[SEED_TASK_IDS[1]][0] == "complete"


def test_review_requests(pair):
    _need_seed_tasks(pair)
    sdk_log, lab_log, _ = run_both(
        pair, lambda sdk: sdk.send_tasks_to_review(PID, TARGET, disable_progress_bar=True),
        ["review", "--project", PID, *_ids_args(TARGET)])
    compare_bulk(sdk_log, lab_log, len(TARGET))
    state = _same_state(pair)
    assert state[SEED_TASK_IDS[2]][0] == "to-review"


# ------------------------------------------------------------------------------------------
# the normaliser itself must not hide differences
# ------------------------------------------------------------------------------------------

def test_normaliser_keeps_real_differences():
    base = {"method": "PATCH", "path": "/api/task-manager/tasks/abc/reset",
            "query": [["projectId", "p"], ["keepState", "true"]], "content_type": None}
    other = {**base, "query": [["projectId", "p"], ["keepState", "false"]]}
    with pytest.raises(AssertionError):
        compare([base], [other])
    compare([base], [{**base, "query": [["keepState", "true"], ["projectId", "p"]]}])
    create = {"method": "POST", "path": "/api/task-manager/batches/b/tasks", "content_type": "application/json",
              "json": {"name": "n", "resources": [{"id": "f1", "name": "a.png"}], "dataId": "d1",
                       "grantResources": "t1", "grantData": "t2", "properties": None}}
    twin = json.loads(json.dumps(create))
    twin["json"].update({"dataId": "d2", "grantResources": "zz", "grantData": "yy"})
    twin["json"]["resources"][0]["id"] = "f2"
    compare([create], [twin])
    renamed = json.loads(json.dumps(twin))
    renamed["json"]["resources"][0]["name"] = "b.png"
    with pytest.raises(AssertionError):
        compare([create], [renamed])
    nodata = json.loads(json.dumps(twin))
    nodata["json"]["dataId"] = None
    with pytest.raises(AssertionError):
        compare([create], [nodata])


# ------------------------------------------------------------------------------------------
# demo workspace: lab view with lastAnnotator (jobs read on the client)
# ------------------------------------------------------------------------------------------

@pytest.fixture
def demo_pair(tmp_path):
    sides = [labtest.Sandbox(data_dir=tmp_path / n / "data", demo=True, request_log=tmp_path / n / "requests.jsonl")
             for n in ("sdk", "lab")]
    try:
        for sb in sides:
            sb.start()
        yield sides[0], sides[1]
    finally:
        for sb in sides:
            sb.stop()


def test_demo_last_annotator_requests_and_output(demo_pair):
    s, l = demo_pair
    pid = s.sdk("demo", "demo").projects(type_in=["iat-rectangle"], disable_progress_bar=True)[0]["_id"]
    m1 = s.log_mark()
    expected = s.sdk("demo", "demo").tasks(pid, optional_fields=["data", "lastAnnotator"], disable_progress_bar=True)
    m2 = l.log_mark()
    res = labtest.run_lab(l, "tasks", "--project", pid, "--optional-field", "data",
                          "--optional-field", "lastAnnotator", access_id="demo", secret_key="demo")
    assert res.returncode == 0, res.stderr[-2000:]
    compare(s.log_since(m1), l.log_since(m2))
    got = {t["_id"]: t for t in json_lines(res.stdout)}
    assert set(got) == {t["_id"] for t in expected}
    assert any(t.get("lastAnnotator") for t in expected), "no demo task has a completed job"
    for t in expected:
        assert got[t["_id"]].get("lastAnnotator") == t.get("lastAnnotator"), t["name"]
        assert got[t["_id"]]["data"] == t["data"], t["name"]
        assert got[t["_id"]] == t, t["name"]  # same document: jobs dropped, lastAnnotator added
