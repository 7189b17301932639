"""Conformance: the real isahitlab 0.17.0 SDK against lab-sandbox (issue 2, item 5).

Every test drives the SDK (or raw HTTP where the SDK would hide the answer) and asserts what
the sandbox did, reading it back through the API."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import re
import time
import zipfile

import pytest
import requests
from PIL import Image

import labtest
from labtest import (ACCESS_ID, BATCH_IDS, FORM_TOOL_INPUT, IMAGE_SIZE, LABELS, PROJECT_IDS,
                     PROJECT_NAMES, SEED_TASK_IDS, prepared, project_configuration_for,
                     valid_data, without_overwrite_key)

PTYPES = list(PROJECT_IDS)
ARCHIVED_ID = "5e1000000000000000000009"
URL_RES = "https://example.invalid/images/remote-1.jpg"
RESOURCE_RES = "resource://bucket/folder/remote-2.png"


# ------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------

def ids(docs):
    return {d["_id"] for d in docs}


def names(docs):
    return {d["name"] for d in docs}


def by_name(docs):
    out = {}
    for d in docs:
        assert d["name"] not in out, f"two tasks named {d['name']!r}"
        out[d["name"]] = d
    return out


def parse_ts(value: str) -> dt.datetime:
    """Parse a server timestamp (ISO 8601, 'Z' or offset) to an aware UTC datetime."""
    v = value.strip().replace("Z", "+00:00")
    if " " in v and "T" not in v:
        v = v.replace(" ", "T", 1)
    d = dt.datetime.fromisoformat(v)
    if d.tzinfo is None:
        d = d.replace(tzinfo=dt.timezone.utc)
    return d.astimezone(dt.timezone.utc)


def fmt_filter_date(d: dt.datetime) -> str:
    return d.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def next_whole_second(d: dt.datetime) -> dt.datetime:
    return d.replace(microsecond=0) + dt.timedelta(seconds=1)


def bearer(sandbox):
    return {"Authorization": "Bearer " + sandbox.login()["access_token"]}


def new_batch(sdk, ptype, name):
    batch = sdk.create_batch(PROJECT_IDS[ptype], name, disable_progress_bar=True)
    assert batch["_id"], batch
    return batch["_id"]


def raw_tasks(sdk, ptype, **filters):
    filters.setdefault("optional_fields", ["data", "data.mask"])
    return sdk.tasks(PROJECT_IDS[ptype], raw_data=True, disable_progress_bar=True, **filters)


def lab_tasks(sdk, ptype, **filters):
    filters.setdefault("optional_fields", ["data", "data.mask"])
    return sdk.tasks(PROJECT_IDS[ptype], disable_progress_bar=True, **filters)


# ------------------------------------------------------------------------------------------
# projects, configuration, batches
# ------------------------------------------------------------------------------------------

def test_projects_lists_the_seed(sdk):
    projects = sdk.projects(disable_progress_bar=True)
    got = {p["_id"]: p for p in projects}
    assert set(got) == set(PROJECT_IDS.values()) | {ARCHIVED_ID}
    for ptype, pid in PROJECT_IDS.items():
        assert got[pid]["name"] == PROJECT_NAMES[ptype]


@pytest.mark.parametrize("kwargs, expected", [
    ({"id_in": [PROJECT_IDS["iat-rectangle"], PROJECT_IDS["form"]]},
     {PROJECT_IDS["iat-rectangle"], PROJECT_IDS["form"]}),
    ({"type_in": ["iat-graph"]}, {PROJECT_IDS["iat-graph"]}),
    ({"type_in": ["iat-polygon", "iat-polyline"]}, {PROJECT_IDS["iat-polygon"], PROJECT_IDS["iat-polyline"]}),
    ({"status_in": ["archived"]}, {ARCHIVED_ID}),
    ({"type_in": ["iat-rectangle"], "status_in": ["pending"]}, {PROJECT_IDS["iat-rectangle"]}),
    ({"search": "polylines"}, {PROJECT_IDS["iat-polyline"]}),
    ({"search": "rectangles"}, {PROJECT_IDS["iat-rectangle"], ARCHIVED_ID}),
    ({"status_in": ["deleted"]}, set()),
], ids=["ids", "type", "types", "status", "type+status", "search", "search2", "none"])
def test_projects_filters_narrow_exactly(sdk, kwargs, expected):
    assert ids(sdk.projects(disable_progress_bar=True, **kwargs)) == expected


def test_projects_pagination_walks_every_page(sandbox, sdk):
    # The SDK asks 10 a page; 7 projects fit one page. Check the documented page shape directly.
    r = requests.get(sandbox.url + "api/project-manager/projects", headers=bearer(sandbox),
                     params={"pagination": "true", "page": 2, "limit": 3}, timeout=10)
    assert r.status_code == 200, r.text
    page = r.json()
    assert page["totalDocs"] == 7
    assert page["limit"] == 3 and page["page"] == 2 and page["totalPages"] == 3
    assert len(page["docs"]) == 3
    assert page["hasPrevPage"] is True and page["hasNextPage"] is True
    assert page["prevPage"] == 1 and page["nextPage"] == 3
    assert page["pagingCounter"] == 4


@pytest.mark.parametrize("ptype", PTYPES)
def test_project_configuration(sdk, ptype):
    conf = sdk.project_configuration(PROJECT_IDS[ptype], disable_progress_bar=True)
    expected = project_configuration_for(ptype)
    assert conf["projectType"] == ptype
    assert conf["metadata"]["labelOptions"] == expected["metadata"]["labelOptions"]
    assert conf["metadata"]["toolOptions"]["sequence"] is False
    if ptype == "form":
        assert conf["metadata"]["inputsLayout"] == expected["metadata"]["inputsLayout"]


def test_project_configuration_unknown_project_is_404(sandbox):
    r = requests.get(sandbox.url + "api/project-configuration-manager/projects/5e10000000000000000000ff/project-configuration",
                     headers=bearer(sandbox), timeout=10)
    assert r.status_code == 404


def test_create_batch(sandbox, sdk):
    pid = PROJECT_IDS["iat-polygon"]
    batch = sdk.create_batch(pid, "created by the SDK", disable_progress_bar=True)
    assert batch["name"] == "created by the SDK"
    r = requests.get(sandbox.url + f"api/task-manager/batches/{batch['_id']}", headers=bearer(sandbox), timeout=10)
    assert r.status_code == 200, r.text
    assert r.json()["_id"] == batch["_id"]
    assert r.json()["name"] == "created by the SDK"
    assert r.json()["projectId"] == pid
    listed = requests.get(sandbox.url + "api/task-manager/batches", headers=bearer(sandbox), timeout=10,
                          params={"pagination": "true", "page": 1, "limit": 10, "projectId": pid}).json()
    assert {b["_id"] for b in listed["docs"]} == {BATCH_IDS["iat-polygon"]["main"],
                                                  BATCH_IDS["iat-polygon"]["other"], batch["_id"]}


# ------------------------------------------------------------------------------------------
# create_tasks: local images, URLs, resource://, initial data — every project type
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("ptype", PTYPES)
def test_create_tasks_every_type(sandbox, sdk, images, ptype):
    batch_id = new_batch(sdk, ptype, f"create {ptype}")
    data = valid_data(ptype)
    payload = [
        {"name": "local-with-data.png", "resources": [str(images["png1"])], "data": data,
         "properties": {"score": 1}},
        {"name": "url-with-data", "resources": [URL_RES], "data": data},
        {"name": "resource-no-data", "resources": [RESOURCE_RES]},
        {"name": "two local files", "resources": [str(images["jpg1"]), str(images["png2"])],
         "properties": {"score": 2, "custom": {"origin": "camera 7"}}},
    ]
    created = sdk.create_tasks(PROJECT_IDS[ptype], batch_id, payload, disable_progress_bar=True)
    assert [t["name"] for t in created] == [p["name"] for p in payload]
    assert all(t.get("_id") for t in created)

    raw = by_name(raw_tasks(sdk, ptype, batch_id_in=[batch_id]))
    assert set(raw) == {p["name"] for p in payload}
    for t in raw.values():
        assert t["batchId"] == batch_id
        assert t["projectId"] == PROJECT_IDS[ptype]
        assert t["status"] == "pending"

    # resources: uploaded files become {id, name}; URLs and resource:// are kept verbatim
    local = raw["local-with-data.png"]["resources"]
    assert len(local) == 1 and isinstance(local[0], dict)
    assert local[0]["id"] and local[0]["name"] == images["png1"].name
    assert raw["url-with-data"]["resources"] == [URL_RES]
    assert raw["resource-no-data"]["resources"] == [RESOURCE_RES]
    two = raw["two local files"]["resources"]
    assert [r["name"] for r in two] == [images["jpg1"].name, images["png2"].name]
    assert two[0]["id"] != two[1]["id"]

    # properties
    assert raw["local-with-data.png"]["properties"]["score"] == 1
    assert raw["two local files"]["properties"]["score"] == 2
    assert raw["two local files"]["properties"]["custom"] == {"origin": "camera 7"}

    # initial data, merged view (data.body over data.metadata.body) == what the SDK sent
    lab = by_name(lab_tasks(sdk, ptype, batch_id_in=[batch_id]))
    expected = prepared(ptype, data)
    assert without_overwrite_key(lab["local-with-data.png"]["data"]) == expected
    assert without_overwrite_key(lab["url-with-data"]["data"]) == expected
    assert not without_overwrite_key(lab["resource-no-data"]["data"])
    if ptype != "form":
        ann = lab["url-with-data"]["data"]["annotations"][0]
        label = next(lbl for lbl in LABELS if lbl["id"] == list(data["annotations"][0]["labels"].values())[0]["labels"][0]["id"])
        assert ann["text"] == label["name"] and ann["color"] == label["color"]


def test_uploaded_bytes_are_stored_intact(sandbox, sdk, images):
    """Uploaded files read back byte for byte (sandbox extension GET files/{id}/content)."""
    batch_id = new_batch(sdk, "iat-segmentation", "bytes")
    sdk.create_tasks(PROJECT_IDS["iat-segmentation"], batch_id,
                     [{"name": "b", "resources": [str(images["jpg1"]), str(images["png2"])]}], disable_progress_bar=True)
    (task,) = raw_tasks(sdk, "iat-segmentation", batch_id_in=[batch_id])
    for res, path in zip(task["resources"], (images["jpg1"], images["png2"])):
        r = requests.get(sandbox.url + f"api/file-manager/files/{res['id']}/content", headers=bearer(sandbox), timeout=10)
        assert r.status_code == 200, r.text
        assert r.content == path.read_bytes()
    assert requests.get(sandbox.url + f"api/file-manager/files/{task['resources'][0]['id']}/content",
                        timeout=10).status_code == 401


def test_create_tasks_uploads_are_multipart_with_path_and_batch(sandbox, sdk, images):
    """The sandbox logs multipart uploads with field names and the file's name and size."""
    batch_id = new_batch(sdk, "iat-polygon", "upload log")
    mark = sandbox.log_mark()
    sdk.create_tasks(PROJECT_IDS["iat-polygon"], batch_id,
                     [{"name": "up.jpg", "resources": [str(images["jpg2"])]}], disable_progress_bar=True)
    entries = [e for e in sandbox.log_since(mark) if "file-manager/files" in json.dumps(e.get("path", ""))]
    assert len(entries) == 1, entries
    text = json.dumps(entries[0])
    for needle in ('"file"', '"path"', '"batchId"', images["jpg2"].name, str(images["jpg2"].stat().st_size)):
        assert needle in text, (needle, entries[0])


def test_create_task_with_a_forged_grant_is_refused(sandbox):
    """The server refuses a task whose uploaded-file refs come with a grant it did not issue."""
    headers = bearer(sandbox)
    batch_id = BATCH_IDS["iat-graph"]["main"]
    r = requests.post(sandbox.url + f"api/task-manager/batches/{batch_id}/tasks", headers=headers, timeout=10,
                      json={"name": "forged", "resources": [{"id": "5e10000000000000000000ee", "name": "x.png"}],
                            "properties": None, "dataId": None, "grantResources": "not-a-grant", "grantData": None})
    assert r.status_code in (400, 403), r.text
    names_now = [t["name"] for t in requests.get(
        sandbox.url + "api/task-manager/tasks", headers=headers, timeout=10,
        params={"pagination": "true", "page": 1, "limit": 100, "projectId": PROJECT_IDS["iat-graph"],
                "batchIds": batch_id}).json()["docs"]]
    assert "forged" not in names_now


def test_create_task_with_a_forged_data_grant_is_refused(sandbox):
    headers = bearer(sandbox)
    batch_id = BATCH_IDS["iat-graph"]["other"]
    imported = requests.post(sandbox.url + "api/data-manager/import-data/json", headers=headers, timeout=10,
                             params={"skipTaskCreation": "true", "grantAccess": "true"},
                             json={"batchId": batch_id, "name": "forged-data", "body": valid_data("iat-graph")})
    assert imported.status_code in (200, 201), imported.text
    data_id = imported.json()["initialDataId"]
    r = requests.post(sandbox.url + f"api/task-manager/batches/{batch_id}/tasks", headers=headers, timeout=10,
                      json={"name": "forged-data", "resources": [URL_RES], "properties": None, "dataId": data_id,
                            "grantResources": None, "grantData": "not-a-grant"})
    assert r.status_code in (400, 403), r.text
    ok = requests.post(sandbox.url + f"api/task-manager/batches/{batch_id}/tasks", headers=headers, timeout=10,
                       json={"name": "granted-data", "resources": [URL_RES], "properties": None, "dataId": data_id,
                             "grantResources": None, "grantData": imported.json()["accessToken"]})
    assert ok.status_code in (200, 201), ok.text
    listed = requests.get(sandbox.url + "api/task-manager/tasks", headers=headers, timeout=10,
                          params={"pagination": "true", "page": 1, "limit": 100, "projectId": PROJECT_IDS["iat-graph"],
                                  "batchIds": batch_id, "optionalFields": "data"}).json()["docs"]
    assert [t["name"] for t in listed] == ["granted-data"]
    assert without_overwrite_key(listed[0]["data"]["body"]) == valid_data("iat-graph")


def test_delete_batch_deletes_its_tasks(sandbox, sdk):
    ptype = "iat-polyline"
    pid = PROJECT_IDS[ptype]
    doomed = new_batch(sdk, ptype, "to delete")
    kept = new_batch(sdk, ptype, "to keep")
    sdk.create_tasks(pid, doomed, [{"name": "gone", "resources": [URL_RES]}], disable_progress_bar=True)
    sdk.create_tasks(pid, kept, [{"name": "stays", "resources": [URL_RES]}], disable_progress_bar=True)
    sdk.delete_batch(doomed, disable_progress_bar=True)
    assert names(sdk.tasks(pid, batch_id_in=[doomed, kept], disable_progress_bar=True)) == {"stays"}
    r = requests.get(sandbox.url + f"api/task-manager/batches/{doomed}", headers=bearer(sandbox), timeout=10)
    assert r.status_code == 404


def test_everything_survives_a_restart(tmp_path, images):
    seed = labtest.write_seed(tmp_path / "seed.json")
    sb = labtest.Sandbox(data_dir=tmp_path / "data", seed=seed).start()
    try:
        sdk = sb.sdk()
        pid = PROJECT_IDS["iat-rectangle"]
        batch_id = new_batch(sdk, "iat-rectangle", "persistent")
        sdk.create_tasks(pid, batch_id, [{"name": "p.png", "resources": [str(images["png1"])],
                                          "data": valid_data("iat-rectangle"), "properties": {"score": 3}}],
                         disable_progress_bar=True)
        before = raw_tasks(sdk, "iat-rectangle", batch_id_in=[batch_id])
    finally:
        sb.stop()
    again = labtest.Sandbox(data_dir=tmp_path / "data", seed=seed).start()  # seed re-applied: idempotent
    try:
        sdk = again.sdk()
        after = raw_tasks(sdk, "iat-rectangle", batch_id_in=[batch_id])
        assert after == before
        assert len(sdk.projects(disable_progress_bar=True)) == 7
        assert len(raw_tasks(sdk, "iat-rectangle", batch_id_in=[BATCH_IDS["iat-rectangle"]["other"]])) == 3
    finally:
        again.stop()


# ------------------------------------------------------------------------------------------
# duplicates
# ------------------------------------------------------------------------------------------

def test_duplicates_raised_skipped_and_forced(sandbox, sdk):
    ptype = "iat-polyline"
    pid = PROJECT_IDS[ptype]
    batch_id = new_batch(sdk, ptype, "duplicates")
    sdk.create_tasks(pid, batch_id, [{"name": "d1", "resources": [URL_RES]},
                                     {"name": "d 2", "resources": [URL_RES]}], disable_progress_bar=True)

    # the server's duplicate check answers exactly the names already in the batch
    r = requests.patch(sandbox.url + f"api/task-manager/batches/{batch_id}/tasks-duplicate",
                       headers=bearer(sandbox), json={"names": ["d 2", "d3", "d1", "zzz"]}, timeout=10)
    assert r.status_code == 200, r.text
    assert sorted(r.json()["duplicate"]) == ["d 2", "d1"]

    with pytest.raises(Exception, match="already exist"):
        sdk.create_tasks(pid, batch_id, [{"name": "d 2", "resources": [URL_RES]},
                                         {"name": "d3", "resources": [URL_RES]}], disable_progress_bar=True)
    assert sorted(t["name"] for t in raw_tasks(sdk, ptype, batch_id_in=[batch_id])) == ["d 2", "d1"]

    created = sdk.create_tasks(pid, batch_id, [{"name": "d 2", "resources": [URL_RES]},
                                               {"name": "d3", "resources": [URL_RES]}],
                               raise_if_existing=False, disable_progress_bar=True)
    assert [t["name"] for t in created] == ["d3"]
    assert sorted(t["name"] for t in raw_tasks(sdk, ptype, batch_id_in=[batch_id])) == ["d 2", "d1", "d3"]

    # a name used in another batch is not a duplicate here
    other = new_batch(sdk, ptype, "duplicates elsewhere")
    assert [t["name"] for t in sdk.create_tasks(pid, other, [{"name": "d1", "resources": [URL_RES]}],
                                                disable_progress_bar=True)] == ["d1"]

    # unicity check off: inserted anyway
    sdk.create_tasks(pid, batch_id, [{"name": "d1", "resources": [URL_RES]}], disable_unicity_check=True,
                     disable_progress_bar=True)
    assert sorted(t["name"] for t in raw_tasks(sdk, ptype, batch_id_in=[batch_id])) == ["d 2", "d1", "d1", "d3"]


# ------------------------------------------------------------------------------------------
# tasks() filters — each narrows to exactly the expected tasks
# ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def world(sandbox_factory):
    """A sandbox of its own (so other tests' tasks do not interfere) with form-project tasks in two batches, created > 1 s apart, some updated later.

    A (batch main):  fa1 urgent/3 score1   fa2 later/5 score2   fa3 urgent/7 (no props)
    B (batch other): fb1 urgent/3 score3   "fb2 final" none/1 score1
    after B: fa1 score → 4 (properties) and fb1 → to-review (both updated after S2).
    A task named fa1 also exists in the rectangle project (project filter)."""
    sb = sandbox_factory()
    sdk = sb.sdk()
    ptype = "form"
    pid = PROJECT_IDS[ptype]
    ba, bb = BATCH_IDS[ptype]["main"], BATCH_IDS[ptype]["other"]

    def t(name, comment, count, props=None):
        d = {"name": name, "resources": [URL_RES], "data": labtest.form_data(comment, count, "no")}
        if props:
            d["properties"] = props
        return d

    sdk.create_tasks(pid, ba, [t("fa1", "urgent", 3, {"score": 1}), t("fa2", "later", 5, {"score": 2}),
                               t("fa3", "urgent", 7)], disable_progress_bar=True)
    time.sleep(2.1)
    sdk.create_tasks(pid, bb, [t("fb1", "urgent", 3, {"score": 3}), t("fb2 final", "none", 1, {"score": 1})],
                     disable_progress_bar=True)
    time.sleep(2.1)
    tasks = by_name(raw_tasks(sdk, ptype, batch_id_in=[ba, bb]))
    sdk.update_properties_of_tasks(pid, [tasks["fa1"]["_id"]], {"score": 4}, disable_progress_bar=True)
    sdk.send_tasks_to_review(pid, [tasks["fb1"]["_id"]], disable_progress_bar=True)
    sdk.create_tasks(PROJECT_IDS["iat-rectangle"], BATCH_IDS["iat-rectangle"]["main"],
                     [{"name": "fa1", "resources": [URL_RES]}], disable_progress_bar=True)

    tasks = by_name(raw_tasks(sdk, ptype, batch_id_in=[ba, bb]))
    created = {n: parse_ts(t["createdAt"]) for n, t in tasks.items()}
    updated = {n: parse_ts(t["updatedAt"]) for n, t in tasks.items()}
    s1 = next_whole_second(max(created[n] for n in ("fa1", "fa2", "fa3")))
    assert all(created[n] > s1 for n in ("fb1", "fb2 final")), (s1, created)
    untouched = ("fa2", "fa3", "fb2 final")
    s2 = next_whole_second(max(updated[n] for n in untouched))
    assert all(updated[n] > s2 for n in ("fa1", "fb1")), (s2, updated)
    return {"sandbox": sb, "sdk": sdk, "ptype": ptype, "pid": pid, "ba": ba, "bb": bb, "id": {n: t["_id"] for n, t in tasks.items()},
            "S1": fmt_filter_date(s1), "S2": fmt_filter_date(s2)}


ALL = {"fa1", "fa2", "fa3", "fb1", "fb2 final"}
A = {"fa1", "fa2", "fa3"}
B = {"fb1", "fb2 final"}


def wnames(world, **kw):
    return names(world["sdk"].tasks(world["pid"], disable_progress_bar=True, **kw))


def test_filter_project_only(world):
    assert wnames(world) == ALL


@pytest.mark.parametrize("which, expected", [(["ba"], A), (["bb"], B), (["ba", "bb"], ALL)])
def test_filter_batch_id_in(world, which, expected):
    assert wnames(world, batch_id_in=[world[w] for w in which]) == expected


@pytest.mark.parametrize("statuses, expected", [
    (["to-review"], {"fb1"}), (["pending"], ALL - {"fb1"}), (["pending", "to-review"], ALL),
    (["complete", "reviewed"], set())])
def test_filter_status_in(world, statuses, expected):
    assert wnames(world, status_in=statuses) == expected


@pytest.mark.parametrize("which", [["fa1"], ["fa2", "fb2 final"], ["fa3", "fb1", "fa1"]])
def test_filter_task_id_in(world, which):
    assert wnames(world, task_id_in=[world["id"][n] for n in which]) == set(which)


def test_filter_task_id_in_unknown_id_matches_nothing(world):
    assert wnames(world, task_id_in=["5e10000000000000000000ff"]) == set()


@pytest.mark.parametrize("which", [["fa1"], ["fa2", "fb2 final"], ["fb2 final", "nope"]])
def test_filter_name_in(world, which):
    assert wnames(world, name_in=which) == set(which) & ALL


@pytest.mark.parametrize("regex, expected", [
    ("^fa[12]$", {"fa1", "fa2"}), ("final", {"fb2 final"}), ("^f[ab]\\d$", {"fa1", "fa2", "fa3", "fb1"}),
    ("^F", set()), (".*", ALL)])
def test_filter_name_like(world, regex, expected):
    assert wnames(world, name_like=regex) == expected


@pytest.mark.parametrize("data, expected", [
    ({"comment": "urgent"}, {"fa1", "fa3", "fb1"}), ({"count": 3}, {"fa1", "fb1"}),
    ({"comment": "urgent", "count": 7}, {"fa3"}), ({"comment": "absent"}, set())])
def test_filter_data(world, data, expected):
    assert wnames(world, data=data) == expected


@pytest.mark.parametrize("props, expected", [
    ({"score": 1}, {"fb2 final"}), ({"score": 4}, {"fa1"}), ({"score": 2}, {"fa2"}), ({"score": 9}, set())])
def test_filter_properties(world, props, expected):
    assert wnames(world, properties=props) == expected


@pytest.mark.parametrize("kw, expected", [
    ("created_at_gt", B), ("created_at_gte", B), ("created_at_lt", A), ("created_at_lte", A)])
def test_filter_created_at(world, kw, expected):
    assert wnames(world, **{kw: world["S1"]}) == expected


def test_filter_created_at_range(world):
    assert wnames(world, created_at_gte="2000-01-01 00:00:00", created_at_lt=world["S1"]) == A
    assert wnames(world, created_at_gt=world["S1"], created_at_lte="2999-01-01 00:00:00") == B
    assert wnames(world, created_at_lt="2000-01-01 00:00:00") == set()


@pytest.mark.parametrize("kw, expected", [
    ("updated_at_gt", {"fa1", "fb1"}), ("updated_at_gte", {"fa1", "fb1"}),
    ("updated_at_lt", {"fa2", "fa3", "fb2 final"}), ("updated_at_lte", {"fa2", "fa3", "fb2 final"})])
def test_filter_updated_at(world, kw, expected):
    assert wnames(world, **{kw: world["S2"]}) == expected


def test_filters_combined(world):
    got = wnames(world, batch_id_in=[world["ba"]], status_in=["pending"], data={"comment": "urgent"},
                 name_like="^fa", created_at_lt=world["S1"], updated_at_gt=world["S2"],
                 task_id_in=[world["id"]["fa1"], world["id"]["fa3"]], name_in=["fa1", "fa3", "fb1"],
                 properties={"score": 4})
    assert got == {"fa1"}


def test_filter_nested_keys(sdk):
    """`properties.custom.k` and `data.a.b` reach nested values (dot paths)."""
    pid, b = PROJECT_IDS["form"], new_batch(sdk, "form", "nested filters")
    sdk.create_tasks(pid, b, [
        {"name": "n1", "data": labtest.form_data("a b", 3, "yes"), "properties": {"score": 1, "custom": {"team": "red"}}},
        {"name": "n2", "data": labtest.form_data("c", 4, "no"), "properties": {"custom": {"team": "blue"}}},
    ], disable_progress_bar=True)

    def q(**kw):
        return names(sdk.tasks(pid, batch_id_in=[b], disable_progress_bar=True, **kw))

    assert q(properties={"custom.team": "red"}) == {"n1"}
    assert q(properties={"custom.team": "green"}) == set()
    assert q(data={f"{FORM_TOOL_INPUT}.image.width": IMAGE_SIZE["width"]}) == {"n1", "n2"}
    assert q(data={f"{FORM_TOOL_INPUT}.image.width": 41}) == set()
    assert q(data={"comment": "a b"}) == {"n1"}
    assert q(data={"count": "4"}) == {"n2"}


@pytest.mark.parametrize("kw, needle", [
    ({"name_like": "("}, "nameLike"), ({"created_at_gt": "yesterday"}, "createdAt"),
    ({"updated_at_lte": "2024-13-45 99:00:00"}, "updatedAt"), ({"status_in": ["nope"]}, "statuses")])
def test_bad_filter_values_are_400_with_a_message(sdk, kw, needle):
    from isahitlab.exceptions import ApiBadRequest

    with pytest.raises(ApiBadRequest, match=needle):
        sdk.tasks(PROJECT_IDS["form"], disable_progress_bar=True, **kw)


def test_optional_fields_decide_what_is_returned(world):
    sdk, pid = world["sdk"], world["pid"]
    with_data = sdk.tasks(pid, optional_fields=["data"], raw_data=True, disable_progress_bar=True)
    assert len(with_data) == 5
    for t in with_data:
        assert isinstance(t.get("data"), dict) and "body" in t["data"], t
        assert "jobs" not in t
    with_jobs = sdk.tasks(pid, optional_fields=["jobs"], raw_data=True, disable_progress_bar=True)
    assert len(with_jobs) == 5
    for t in with_jobs:
        assert "data" not in t, t
        assert isinstance(t["jobs"], list)
    with_metrics = sdk.tasks(pid, optional_fields=["metrics"], raw_data=True, disable_progress_bar=True)
    for t in with_metrics:
        assert "data" not in t and "jobs" not in t, t
        assert "metrics" in t, t


def test_data_of_tasks_read_back(world):
    got = by_name(world["sdk"].tasks(world["pid"], name_in=["fa2"], disable_progress_bar=True))
    assert got["fa2"]["data"]["comment"] == "later"
    assert got["fa2"]["data"]["count"] == 5
    assert got["fa2"]["data"][FORM_TOOL_INPUT]["annotations"][0]["text"] == "Car"


def test_tasks_pagination_walks_pages(world):
    sandbox = world["sandbox"]
    r = requests.get(sandbox.url + "api/task-manager/tasks", headers=bearer(sandbox), timeout=10,
                     params=[("pagination", "true"), ("page", "2"), ("limit", "2"), ("projectId", world["pid"])])
    assert r.status_code == 200, r.text
    page = r.json()
    assert page["totalDocs"] == 5 and page["totalPages"] == 3 and page["page"] == 2
    assert len(page["docs"]) == 2 and page["nextPage"] == 3 and page["prevPage"] == 1
    # walking every page gives every task once
    seen = []
    for p in (1, 2, 3):
        seen += [d["_id"] for d in requests.get(
            sandbox.url + "api/task-manager/tasks", headers=bearer(sandbox), timeout=10,
            params=[("pagination", "true"), ("page", str(p)), ("limit", "2"), ("projectId", world["pid"])]).json()["docs"]]
    assert sorted(seen) == sorted(world["id"].values())


# ------------------------------------------------------------------------------------------
# properties, redo, review
# ------------------------------------------------------------------------------------------

def test_update_properties_of_tasks(sandbox, sdk):
    ptype = "iat-graph"
    pid = PROJECT_IDS[ptype]
    batch_id = new_batch(sdk, ptype, "properties")
    created = sdk.create_tasks(pid, batch_id, [{"name": f"p{i}", "resources": [URL_RES], "data": valid_data(ptype)}
                                               for i in range(3)], disable_progress_bar=True)
    tid = [t["_id"] for t in created]
    n = sdk.update_properties_of_tasks(pid, [tid[0], tid[1], tid[0]], {"score": 5, "custom": {"team": "blue", "n": 2}},
                                       disable_progress_bar=True)
    assert n == 2
    got = {t["_id"]: t for t in raw_tasks(sdk, ptype, batch_id_in=[batch_id])}
    for i in (0, 1):
        assert got[tid[i]]["properties"]["score"] == 5
        assert got[tid[i]]["properties"]["custom"] == {"team": "blue", "n": 2}
    assert (got[tid[2]].get("properties") or {}).get("score") in (None, 0)
    # score only: custom kept
    sdk.update_properties_of_tasks(pid, [tid[1]], {"score": 1}, disable_progress_bar=True)
    t1 = next(t for t in raw_tasks(sdk, ptype, batch_id_in=[batch_id]) if t["_id"] == tid[1])
    assert t1["properties"]["score"] == 1
    assert t1["properties"]["custom"] == {"team": "blue", "n": 2}
    # the filter sees the new values
    assert ids(sdk.tasks(pid, properties={"score": 5}, disable_progress_bar=True)) == {tid[0]}
    # the SDK refuses unknown keys; the server too
    with pytest.raises(ValueError):
        sdk.update_properties_of_tasks(pid, [tid[0]], {"colour": "red"}, disable_progress_bar=True)
    r = requests.patch(sandbox.url + f"api/task-manager/projects/{pid}/tasks/properties", headers=bearer(sandbox),
                       json={"taskIds": [tid[0]], "colour": "red"}, timeout=10)
    assert r.status_code == 400, r.text


def test_send_tasks_to_review(sandbox, sdk):
    ptype = "iat-rectangle"
    pid = PROJECT_IDS[ptype]
    batch_id = new_batch(sdk, ptype, "review")
    created = sdk.create_tasks(pid, batch_id, [{"name": f"r{i}", "resources": [URL_RES], "data": valid_data(ptype)}
                                               for i in range(3)], disable_progress_bar=True)
    tid = [t["_id"] for t in created]
    mark = sandbox.log_mark()
    assert sdk.send_tasks_to_review(pid, [tid[0], tid[2], tid[0]], disable_progress_bar=True) == 2
    got = {t["_id"]: t["status"] for t in raw_tasks(sdk, ptype, batch_id_in=[batch_id])}
    assert got == {tid[0]: "to-review", tid[1]: "pending", tid[2]: "to-review"}
    review_calls = [e for e in sandbox.log_since(mark) if "to-review" in str(e.get("path", ""))]
    assert len(review_calls) == 2
    # unknown task → 404
    r = requests.patch(sandbox.url + "api/task-manager/tasks/5e10000000000000000000ff/to-review",
                       params={"projectId": pid}, headers=bearer(sandbox), timeout=10)
    assert r.status_code == 404


def _seed_tasks_or_fail(sdk):
    got = {t["_id"]: t for t in raw_tasks(sdk, "iat-rectangle", batch_id_in=[BATCH_IDS["iat-rectangle"]["other"]])}
    if not set(SEED_TASK_IDS) <= set(got):
        pytest.fail("sandbox did not create the seed tasks (batches[].tasks, requested in "
                    "/work/notes/bugs-lab-sandbox.md); redo keep/reset cannot be told apart without tasks whose "
                    "data differs from their initial data")
    return got


def test_redo_keep_state_keeps_data(sdk):
    got = _seed_tasks_or_fail(sdk)
    tid = SEED_TASK_IDS[0]
    before = got[tid]["data"]["body"]
    assert before != {"annotations": []}
    assert got[tid]["status"] == "complete"
    assert sdk.send_tasks_to_redo(PROJECT_IDS["iat-rectangle"], [tid], reset=False, disable_progress_bar=True) == 1
    after = _seed_tasks_or_fail(sdk)[tid]
    assert after["status"] == "pending"
    assert after["data"]["body"] == before


def test_redo_reset_restores_initial_data(sdk):
    got = _seed_tasks_or_fail(sdk)
    tid = SEED_TASK_IDS[1]
    untouched = SEED_TASK_IDS[2]
    assert got[tid]["data"]["body"] != {"annotations": []}
    assert sdk.send_tasks_to_redo(PROJECT_IDS["iat-rectangle"], [tid, tid], reset=True, disable_progress_bar=True) == 1
    after = _seed_tasks_or_fail(sdk)
    assert after[tid]["status"] == "pending"
    assert without_overwrite_key(after[tid]["data"]["body"]) == {"annotations": []}
    merged = next(t for t in sdk.tasks(PROJECT_IDS["iat-rectangle"], task_id_in=[tid], disable_progress_bar=True))
    assert merged["data"]["annotations"] == []
    assert after[untouched]["status"] == "complete"
    assert after[untouched]["data"]["body"] == got[untouched]["data"]["body"]


def test_redo_reset_on_created_task_gives_its_initial_data(sdk):
    ptype = "iat-polygon"
    pid = PROJECT_IDS[ptype]
    batch_id = new_batch(sdk, ptype, "redo")
    created = sdk.create_tasks(pid, batch_id, [{"name": "redo-me", "resources": [URL_RES], "data": valid_data(ptype)},
                                               {"name": "keep-me", "resources": [URL_RES], "data": valid_data(ptype)}],
                               disable_progress_bar=True)
    sdk.send_tasks_to_review(pid, [t["_id"] for t in created], disable_progress_bar=True)
    sdk.send_tasks_to_redo(pid, [created[0]["_id"]], reset=True, disable_progress_bar=True)
    sdk.send_tasks_to_redo(pid, [created[1]["_id"]], reset=False, disable_progress_bar=True)
    got = by_name(lab_tasks(sdk, ptype, batch_id_in=[batch_id]))
    assert got["redo-me"]["status"] == "pending" and got["keep-me"]["status"] == "pending"
    for n in ("redo-me", "keep-me"):
        assert without_overwrite_key(got[n]["data"]) == prepared(ptype, valid_data(ptype))


def test_seed_task_dates_filter_to_the_second(sdk):
    _seed_tasks_or_fail(sdk)
    b = [BATCH_IDS["iat-rectangle"]["other"]]
    pid = PROJECT_IDS["iat-rectangle"]

    def q(**kw):
        return ids(sdk.tasks(pid, batch_id_in=b, disable_progress_bar=True, **kw))

    t1, t2, t3 = SEED_TASK_IDS
    assert q(created_at_gt="2024-01-02 10:00:00") == {t3}
    assert q(created_at_gte="2024-01-02 10:00:00") == {t2, t3}
    assert q(created_at_lt="2024-01-02 10:00:00") == {t1}
    assert q(created_at_lte="2024-01-02 10:00:00") == {t1, t2}
    assert q(created_at_gt="2024-01-01 10:00:00", created_at_lt="2024-01-03 10:00:00") == {t2}


# ------------------------------------------------------------------------------------------
# exports on created tasks
# ------------------------------------------------------------------------------------------

EXPORT_TYPES = ["iat-rectangle", "iat-polygon", "iat-polyline", "iat-graph", "iat-segmentation", "form"]


@pytest.fixture(scope="module")
def export_world(sdk, images):
    """Per type, a batch 'export' with: 'with-data.png' (local image + data), 'url-data' (URL +
    data, car label replaced by person), 'no-data' (URL only)."""
    out = {}
    for ptype in EXPORT_TYPES:
        pid = PROJECT_IDS[ptype]
        batch_id = new_batch(sdk, ptype, "export")
        d1 = valid_data(ptype)
        d2 = (labtest.form_data("x", 1, "no", resources=[URL_RES]) if ptype == "form"
              else {"iat-rectangle": labtest.rect_data("person", (0.0, 0.0, 1.0, 0.5)),
                    "iat-polygon": labtest.polygon_data("bike"),
                    "iat-polyline": labtest.polyline_data("car"),
                    "iat-graph": labtest.graph_data("bike"),
                    "iat-segmentation": labtest.segmentation_data("person")}[ptype])
        payload = [{"name": "with-data.png", "resources": [str(images["png1"])], "data": d1},
                   {"name": "url-data", "resources": [URL_RES], "data": d2},
                   {"name": "no-data", "resources": [URL_RES]}]
        sdk.create_tasks(pid, batch_id, payload, disable_progress_bar=True)
        out[ptype] = {"pid": pid, "batch": batch_id, "data": {"with-data.png": d1, "url-data": d2, "no-data": None}}
    return out


@pytest.mark.parametrize("ptype", EXPORT_TYPES)
def test_export_lab(sdk, export_world, tmp_path, ptype):
    w = export_world[ptype]
    sdk.export_tasks(w["pid"], "lab", output_folder=str(tmp_path), output_filename="out.json",
                     batch_id_in=[w["batch"]], disable_progress_bar=True)
    text = (tmp_path / "out.json").read_text()
    exported = json.loads(text)
    assert text.startswith("[\n  {")  # pretty-printed with indent 2
    got = by_name(exported)
    assert set(got) == set(w["data"])
    for name, data in w["data"].items():
        assert got[name]["batchId"] == w["batch"]
        if data is None:
            assert not without_overwrite_key(got[name]["data"])
        else:
            assert without_overwrite_key(got[name]["data"]) == prepared(ptype, data)
    assert got["url-data"]["resources"] == [URL_RES]
    assert got["with-data.png"]["resources"][0]["name"] == "one.png"


def _kili_annotations(entry):
    job = entry["latestLabel"]["jsonResponse"]["OBJECT_DETECTION_JOB"]["annotations"]
    if isinstance(job, dict):  # the SDK nests the job twice for rectangle/polygon
        job = job["OBJECT_DETECTION_JOB"]["annotations"]
    return job


def _corners(box):
    x1, y1, x2, y2 = box
    return [x1, y1, x2, y1, x2, y2, x1, y2]


@pytest.mark.parametrize("ptype", ["iat-rectangle", "iat-polygon", "iat-segmentation", "form"])
def test_export_kili(sdk, export_world, tmp_path, ptype):
    w = export_world[ptype]
    sdk.export_tasks(w["pid"], "kili", output_folder=str(tmp_path), output_filename="kili.json",
                     batch_id_in=[w["batch"]], disable_progress_bar=True)
    got = {e["externalId"]: e for e in json.loads((tmp_path / "kili.json").read_text())}
    assert set(got) == set(w["data"])
    for e in got.values():
        assert e["status"] == "TODO"
    if ptype == "form":
        # the tool input's resources are the asset's content
        assert got["url-data"]["content"] == URL_RES
        assert got["url-data"]["resolution"] == IMAGE_SIZE
        return
    assert got["url-data"]["content"] == URL_RES
    assert got["with-data.png"]["content"] == "one.png"
    assert got["with-data.png"]["resolution"] == IMAGE_SIZE
    assert got["with-data.png"]["latestLabel"]["labelType"] == "DEFAULT"
    anns = _kili_annotations(got["with-data.png"])
    assert len(anns) == 1
    d = w["data"]["with-data.png"]
    label = list(d["annotations"][0]["labels"].values())[0]["labels"][0]["id"]
    assert anns[0]["categories"] == [{"name": label}]
    W, H = IMAGE_SIZE["width"], IMAGE_SIZE["height"]
    if ptype == "iat-segmentation":
        v = d["annotations"][0]["approximation"]["polygons"][0]["geometry"]["vertices"]
        poly = anns[0]["boundingPoly"][0]
        assert [(p["x"], p["y"]) for p in poly["vertices"]] == [(v[i], v[i + 1]) for i in range(0, len(v), 2)]
        assert [(round(p["x"], 6), round(p["y"], 6)) for p in poly["normalizedVertices"]] == \
               [(round(v[i] / W, 6), round(v[i + 1] / H, 6)) for i in range(0, len(v), 2)]
    else:
        v = d["annotations"][0]["polygons"][0]["geometry"]["vertices"]
        if ptype == "iat-rectangle":
            v = _corners(v)
        poly = anns[0]["boundingPoly"][0]
        assert [(p["x"], p["y"]) for p in poly["normalizedVertices"]] == [(v[i], v[i + 1]) for i in range(0, len(v), 2)]
        assert [(p["x"], p["y"]) for p in poly["vertices"]] == \
               [(round(v[i] * W, 2), round(v[i + 1] * H, 2)) for i in range(0, len(v), 2)]


def _yolo_rows(ptype, data):
    """Expected YOLO rows written from the contract (class index then geometry)."""
    classes = [lbl["id"] for lbl in LABELS]
    if data is None:
        return []
    if ptype == "form":
        data, ptype = data[FORM_TOOL_INPUT], "iat-rectangle"
    rows = []
    for ann in data["annotations"]:
        label = list(ann["labels"].values())[0]["labels"][0]["id"]
        cls = classes.index(label)
        if ptype == "iat-segmentation":
            for poly in ann["approximation"]["polygons"]:
                v = poly["geometry"]["vertices"]
                rows.append([cls] + [v[i] / (IMAGE_SIZE["width"] if i % 2 == 0 else IMAGE_SIZE["height"])
                                     for i in range(len(v))])
            continue
        for poly in ann["polygons"]:
            g = poly["geometry"]
            v = g["vertices"]
            xs, ys = v[0::2], v[1::2]
            if g["type"] == "rectangle":
                rows.append([cls, (v[0] + v[2]) / 2, (v[1] + v[3]) / 2, abs(v[2] - v[0]), abs(v[3] - v[1])])
            elif g["type"] == "graph":
                rows.append([cls, (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2, max(xs) - min(xs),
                             max(ys) - min(ys), *v])
            else:
                rows.append([cls, *v])
    return rows


def _parse_rows(text):
    return [[float(x) for x in line.split()] for line in text.splitlines() if line.strip()]


def _rows_close(a, b):
    return len(a) == len(b) and all(len(r) == len(s) and all(abs(x - y) < 1e-9 for x, y in zip(r, s))
                                    for r, s in zip(a, b))


@pytest.mark.parametrize("ptype", EXPORT_TYPES)
def test_export_yolo(sdk, export_world, tmp_path, ptype):
    w = export_world[ptype]
    sdk.export_tasks(w["pid"], "yolo", output_folder=str(tmp_path), output_filename="y.zip",
                     batch_id_in=[w["batch"]], disable_progress_bar=True)
    with zipfile.ZipFile(tmp_path / "y.zip") as z:
        members = {n.lstrip("./") for n in z.namelist() if not n.endswith("/")}
        assert members == {"data.yaml"} | {f"labels/{n}.txt" for n in w["data"]}
        yaml = z.read("data.yaml").decode()
        assert re.search(r"^nc: 3$", yaml, re.M), yaml
        m = re.search(r"^names: \[(.*)\]$", yaml, re.M)
        assert m and [s.strip().strip("'\"") for s in m.group(1).split(",")] == [lbl["id"] for lbl in LABELS]
        for name, data in w["data"].items():
            rows = _parse_rows(z.read(f"labels/{name}.txt").decode())
            assert _rows_close(rows, _yolo_rows(ptype, data)), (name, rows, _yolo_rows(ptype, data))


def _png_pixels(png_bytes):
    img = Image.open(io.BytesIO(png_bytes)).convert("RGB")
    return img.size, list(img.getdata())


def test_export_mask(sdk, export_world, tmp_path):
    w = export_world["iat-segmentation"]
    out = tmp_path / "masks"
    sdk.export_tasks(w["pid"], "mask", output_folder=str(tmp_path), output_filename="masks",
                     batch_id_in=[w["batch"]], disable_progress_bar=True)
    files = sorted(p.name for p in out.iterdir())
    assert files == ["url-data.png", "with-data.png.png"]  # no mask, no file
    for name, label in (("with-data.png", "car"), ("url-data", "person")):
        got = _png_pixels((out / f"{name}.png").read_bytes())
        assert got == _png_pixels(labtest.segmentation_mask_png(label))


def test_export_mask_options(sdk, export_world, tmp_path):
    w = export_world["iat-segmentation"]
    sdk.export_tasks(w["pid"], "mask", output_folder=str(tmp_path), output_filename="m",
                     batch_id_in=[w["batch"]], name_in=["with-data.png", "url-data"], disable_progress_bar=True,
                     options={"replace_extension": True, "semantic_mapping": {"car": [10, 20, 30]}})
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["url-data.png", "with-data.png"]
    (w_, h_), px = _png_pixels((tmp_path / "m" / "with-data.png").read_bytes())
    x0, y0, x1, y1 = labtest.SEG_RECT_PX
    for y in range(h_):
        for x in range(w_):
            inside = x0 <= x < x1 and y0 <= y < y1
            assert px[y * w_ + x] == ((10, 20, 30) if inside else (0, 0, 0)), (x, y)
    # the person mask (bChannel 2) is not remapped
    assert _png_pixels((tmp_path / "m" / "url-data.png").read_bytes()) == \
        _png_pixels(labtest.segmentation_mask_png("person"))


# ------------------------------------------------------------------------------------------
# exports on the --demo workspace: file contents agree with what tasks() returns
# ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo_projects(demo_sdk):
    projects = demo_sdk.projects(disable_progress_bar=True)
    by_type = {}
    for p in projects:
        conf = demo_sdk.project_configuration(p["_id"], disable_progress_bar=True)
        by_type.setdefault(conf["projectType"], []).append((p["_id"], conf))
    for t in ("iat-rectangle", "iat-polygon", "iat-segmentation", "iat-graph", "form"):
        assert t in by_type, f"demo workspace has no {t} project: {sorted(by_type)}"
    return by_type


def test_demo_has_tasks_in_every_status(demo_sdk, demo_projects):
    statuses = set()
    total = 0
    for plist in demo_projects.values():
        for pid, _ in plist:
            tasks = demo_sdk.tasks(pid, optional_fields=["jobs"], raw_data=True, disable_progress_bar=True)
            total += len(tasks)
            statuses |= {t["status"] for t in tasks}
    assert total >= 100
    assert {"pending", "complete", "to-review", "reviewed"} <= statuses


@pytest.mark.parametrize("ptype", ["iat-rectangle", "iat-polygon", "iat-segmentation", "iat-graph", "form"])
def test_demo_export_lab_matches_tasks(demo_sdk, demo_projects, tmp_path, ptype):
    pid, _ = demo_projects[ptype][0]
    demo_sdk.export_tasks(pid, "lab", output_folder=str(tmp_path), output_filename="demo.json",
                          disable_progress_bar=True)
    exported = {t["_id"]: t for t in json.loads((tmp_path / "demo.json").read_text())}
    listed = {t["_id"]: t for t in demo_sdk.tasks(pid, optional_fields=["data", "data.mask", "metrics"],
                                                   disable_progress_bar=True)}
    assert exported and set(exported) == set(listed)
    for tid, t in listed.items():
        e = exported[tid]
        assert e["name"] == t["name"] and e["status"] == t["status"]
        assert e["data"] == t["data"]
    assert any(e["data"] for e in exported.values()), "no demo task has data"


KILI_STATUS = {"complete": "LABELED", "reviewed": "REVIEWED", "to-review": "ONGOING"}


@pytest.mark.parametrize("ptype", ["iat-rectangle", "iat-polygon", "iat-segmentation"])
def test_demo_export_kili(demo_sdk, demo_projects, tmp_path, ptype):
    pid, _ = demo_projects[ptype][0]
    demo_sdk.export_tasks(pid, "kili", output_folder=str(tmp_path), output_filename="k.json",
                          disable_progress_bar=True)
    exported = {e["id"]: e for e in json.loads((tmp_path / "k.json").read_text())}
    raw = {t["_id"]: t for t in demo_sdk.tasks(pid, optional_fields=["data"], raw_data=True,
                                                disable_progress_bar=True)}
    assert set(exported) == set(raw)
    annotated = 0
    for tid, t in raw.items():
        e = exported[tid]
        assert e["externalId"] == t["name"]
        assert e["status"] == KILI_STATUS.get(t["status"], "TODO")
        body = (t.get("data") or {}).get("body") or {}
        if body.get("annotations") and body.get("image"):
            anns = _kili_annotations(e)
            if ptype == "iat-segmentation":
                expected = sum(len(a.get("approximation", {}).get("polygons", [])) for a in body["annotations"])
            else:
                expected = len(body["annotations"])
            assert len(anns) == expected, (t["name"], anns)
            annotated += 1
    assert annotated > 0, "no demo task with annotations and an image size"


@pytest.mark.parametrize("ptype", ["iat-rectangle", "iat-polygon", "iat-graph", "iat-segmentation"])
def test_demo_export_yolo(demo_sdk, demo_projects, tmp_path, ptype):
    pid, conf = demo_projects[ptype][0]
    demo_sdk.export_tasks(pid, "yolo", output_folder=str(tmp_path), output_filename="y.zip",
                          disable_progress_bar=True)
    lab = {t["name"]: t for t in demo_sdk.tasks(pid, optional_fields=["data"], disable_progress_bar=True)}
    lo = conf["metadata"]["labelOptions"]
    classes = [lbl["id"] for ml in lo["mainLists"] for k in ml["keys"] for lbl in lo["availableLabels"].get(k, [])]
    with zipfile.ZipFile(tmp_path / "y.zip") as z:
        members = {n for n in z.namelist() if not n.endswith("/")}
        assert f"labels/{next(iter(lab))}.txt" in members
        assert {m for m in members if m.startswith("labels/")} == {f"labels/{n}.txt" for n in lab}
        assert re.search(rf"^nc: {len(classes)}$", z.read("data.yaml").decode(), re.M)
        rows_total = 0
        for name, t in lab.items():
            rows = _parse_rows(z.read(f"labels/{name}.txt").decode())
            anns = (t.get("data") or {}).get("annotations", [])
            if ptype == "iat-segmentation":
                n = sum(len(a.get("approximation", {}).get("polygons", [])) for a in anns)
            else:
                n = sum(len(a["polygons"]) for a in anns)
            assert len(rows) == n, name
            for r in rows:
                assert -1 <= r[0] < len(classes)
                assert all(-1e-9 <= x <= 1 + 1e-9 for x in r[1:]), (name, r)
            rows_total += len(rows)
        assert rows_total > 0


def test_demo_export_mask(demo_sdk, demo_projects, tmp_path):
    pid, _ = demo_projects["iat-segmentation"][0]
    demo_sdk.export_tasks(pid, "mask", output_folder=str(tmp_path), output_filename="masks",
                          disable_progress_bar=True)
    raw = demo_sdk.tasks(pid, optional_fields=["data", "data.mask"], disable_progress_bar=True)
    with_mask = {t["name"]: t["data"]["mask"] for t in raw if (t.get("data") or {}).get("mask")}
    assert with_mask, "no demo segmentation task has a mask"
    files = {p.name for p in (tmp_path / "masks").iterdir()}
    assert files == {f"{n}.png" for n in with_mask}
    for name, uri in with_mask.items():
        assert uri.startswith("data:image/png;base64,")
        expected = _png_pixels(base64.b64decode(uri.split(",", 1)[1]))
        got = _png_pixels((tmp_path / "masks" / f"{name}.png").read_bytes())
        assert got == expected, name
        assert any(p != (0, 0, 0) for p in got[1]), f"mask of {name} is empty"


# ------------------------------------------------------------------------------------------
# authentication
# ------------------------------------------------------------------------------------------

def test_login_contract(sandbox):
    r = requests.post(sandbox.url + "api/user-manager/auth/login",
                      data={"access_id": ACCESS_ID, "secret_key": labtest.SECRET_KEY}, timeout=10)
    assert r.status_code == 201
    body = r.json()
    assert isinstance(body["access_token"], str) and body["access_token"]
    assert isinstance(body["expires_in"], int) and body["expires_in"] > 0
    bad = requests.post(sandbox.url + "api/user-manager/auth/login",
                        data={"access_id": ACCESS_ID, "secret_key": "wrong"}, timeout=10)
    assert bad.status_code == 401
    malformed = requests.post(sandbox.url + "api/user-manager/auth/login", data={"access_id": ACCESS_ID}, timeout=10)
    assert malformed.status_code == 400


def test_sdk_with_wrong_credentials_fails(sandbox):
    from isahitlab.exceptions import AuthenticationFailed

    with pytest.raises(AuthenticationFailed):
        sandbox.sdk(ACCESS_ID, "wrong").projects(disable_progress_bar=True)


PROTECTED = [
    ("GET", "api/project-manager/projects", None),
    ("GET", f"api/project-configuration-manager/projects/{PROJECT_IDS['form']}/project-configuration", None),
    ("GET", "api/task-manager/batches", None),
    ("POST", "api/task-manager/batches", {"name": "x", "projectId": PROJECT_IDS["form"]}),
    ("GET", "api/task-manager/tasks", None),
    ("PATCH", f"api/task-manager/batches/{BATCH_IDS['form']['main']}/tasks-duplicate", {"names": ["a"]}),
    ("POST", "api/file-manager/grant/files", {"ids": []}),
    ("PATCH", f"api/task-manager/projects/{PROJECT_IDS['form']}/tasks/properties", {"taskIds": [], "score": 1}),
]


@pytest.mark.parametrize("method, path, body", PROTECTED, ids=[f"{m} {p.split('/')[2]}" for m, p, _ in PROTECTED])
def test_routes_need_a_token(sandbox, method, path, body):
    r = requests.request(method, sandbox.url + path, json=body, timeout=10)
    assert r.status_code == 401, (r.status_code, r.text)
    r = requests.request(method, sandbox.url + path, json=body, timeout=10,
                         headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401, (r.status_code, r.text)


def test_token_expires_and_the_sdk_logs_in_again(sandbox_factory):
    sb = sandbox_factory(token_ttl=2, request_log=True)
    tok = sb.login()
    assert tok["expires_in"] == 2
    h = {"Authorization": "Bearer " + tok["access_token"]}
    assert requests.get(sb.url + "api/project-manager/projects", headers=h, timeout=10).status_code == 200
    time.sleep(3)
    assert requests.get(sb.url + "api/project-manager/projects", headers=h, timeout=10).status_code == 401
    sdk = sb.sdk()
    first = sdk.projects(disable_progress_bar=True)
    time.sleep(3)
    second = sdk.projects(disable_progress_bar=True)
    assert ids(first) == ids(second) == set(PROJECT_IDS.values()) | {ARCHIVED_ID}
    logins = [e for e in sb.log_lines() if "auth/login" in str(e.get("path", ""))]
    assert len(logins) >= 3  # ours + one per SDK call (the token is always within 15 s of expiry)
