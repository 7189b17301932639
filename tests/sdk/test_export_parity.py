"""Export parity: the SDK's export_tasks and `lab export` on the same sandbox data.

Lab and Kili JSON must be equal once parsed (Kili: the random segmentation `mid` is ignored,
and the SDK's double OBJECT_DETECTION_JOB nesting of rectangle/polygon projects is unwrapped —
the one allowed difference); YOLO zips must hold the same entries with the same bytes; mask
PNGs must be pixel-equal.
"""

from __future__ import annotations

import json
import pathlib
import re
import zipfile
from typing import Any, Dict, List, Optional

import pytest

from labtest import (
    BATCH_IDS,
    PROJECT_IDS,
    form_data,
    graph_data,
    polygon_data,
    polyline_data,
    rect_data,
    run_lab,
    segmentation_data,
)

PTYPES = ["iat-rectangle", "iat-polygon", "iat-polyline", "iat-graph", "iat-segmentation", "form"]
FORMATS = ["lab", "kili", "yolo", "mask"]
EXT = {"lab": ".json", "kili": ".json", "yolo": ".zip", "mask": ""}
# What each format accepts (refusals must agree between the SDK and `lab`).
SUPPORTED = {
    "lab": set(PTYPES),
    "kili": set(PTYPES),
    "yolo": set(PTYPES),
    "mask": {"iat-segmentation"},
}
DEMO_PROJECTS = ["demo-rectangle", "demo-polygon", "demo-segmentation", "demo-graph", "demo-form"]
SEMANTIC_MAPPING = {"car": [255, 0, 0], "person": [0, 255, 0], "bike": [0, 0, 255]}


def _variants(ptype: str) -> List[Dict[str, Any]]:
    """A few tasks per project type: several labels, integer vertices, no data at all."""
    if ptype == "iat-rectangle":
        datas = [rect_data("car"), rect_data("person", (0, 0, 1, 1)), rect_data("bike", (0.3, 0.3, 0.3, 0.7))]
    elif ptype == "iat-polygon":
        datas = [polygon_data("person"), polygon_data("car")]
    elif ptype == "iat-polyline":
        datas = [polyline_data("bike"), polyline_data("car")]
    elif ptype == "iat-graph":
        datas = [graph_data("person"), graph_data("bike")]
    elif ptype == "iat-segmentation":
        datas = [segmentation_data("car"), segmentation_data("person"), segmentation_data("bike")]
    else:
        datas = [form_data("urgent", 3, "yes", ["https://example.invalid/f1.png"]), form_data("later", 0, "no")]
    tasks = []
    for i, data in enumerate(datas):
        tasks.append({
            "name": f"{ptype}-img {i + 1}.png" if i % 2 == 0 else f"{ptype}-ünï-{i + 1}.jpg",
            "resources": [f"https://example.invalid/{ptype}/{i + 1}.png"],
            "data": data,
        })
    tasks.append({"name": f"{ptype}-empty.png", "resources": ["https://example.invalid/e.png"]})
    return tasks


@pytest.fixture(scope="module")
def populated(sandbox, sdk):
    for ptype in PTYPES:
        sdk.create_tasks(PROJECT_IDS[ptype], BATCH_IDS[ptype]["main"], _variants(ptype),
                         disable_progress_bar=True)
    # more than one page of tasks (the SDK lists 100 a page)
    many = [{"name": f"many-{i:03d}.png", "resources": [f"https://example.invalid/m{i}.png"],
             "data": rect_data("car" if i % 3 else "bike", (0.01 * (i % 50), 0.1, 0.5 + 0.001 * i, 0.9))}
            for i in range(105)]
    sdk.create_tasks(PROJECT_IDS["iat-rectangle"], BATCH_IDS["iat-rectangle"]["main"], many,
                     disable_progress_bar=True)
    return sandbox


# ---------------------------------------------------------------------------------------------
# running both sides
# ---------------------------------------------------------------------------------------------

def sdk_export(sdk, project_id: str, fmt: str, folder: pathlib.Path, name: Optional[str],
               options: Optional[Dict[str, Any]] = None) -> None:
    sdk.export_tasks(project_id, fmt, output_folder=str(folder), output_filename=name,
                     options=dict(options or {}), disable_progress_bar=True)


def lab_export(sb, project_id: str, fmt: str, folder: pathlib.Path, name: Optional[str],
               options: Optional[Dict[str, Any]] = None, extra: Optional[List[str]] = None,
               creds=None):
    args = ["export", "--quiet", "--project", project_id, "--format", fmt, "--output-folder", str(folder)]
    if name:
        args += ["--output-filename", name]
    for k, v in (options or {}).items():
        args += ["--option", f"{k}={json.dumps(v) if not isinstance(v, str) else v}"]
    args += list(extra or [])
    kw = {"access_id": creds[0], "secret_key": creds[1]} if creds else {}
    return run_lab(sb, *args, **kw)


def unwrap_sdk_kili(assets: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The SDK nests OBJECT_DETECTION_JOB twice for rectangle/polygon projects: take the inner one."""
    for a in assets:
        label = a.get("latestLabel") or {}
        jr = label.get("jsonResponse")
        if isinstance(jr, dict) and isinstance(jr.get("OBJECT_DETECTION_JOB"), dict):
            inner = jr["OBJECT_DETECTION_JOB"].get("annotations")
            if isinstance(inner, dict):
                label["jsonResponse"] = inner
    return assets


def strip_mid(v: Any, mids: List[str]) -> Any:
    if isinstance(v, dict):
        if "mid" in v:
            mids.append(v["mid"])
        return {k: strip_mid(x, mids) for k, x in v.items() if k != "mid"}
    if isinstance(v, list):
        return [strip_mid(x, mids) for x in v]
    return v


def zip_contents(path: pathlib.Path) -> Dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {i.filename: z.read(i.filename) for i in z.infolist()}


def png_pixels(path: pathlib.Path):
    from PIL import Image

    with Image.open(path) as img:
        rgb = img.convert("RGB")
        return rgb.size, rgb.tobytes()


def assert_same_export(fmt: str, sdk_path: pathlib.Path, lab_path: pathlib.Path) -> int:
    """Compares two exports; returns how many tasks/files were compared."""
    assert lab_path.exists(), f"lab wrote nothing at {lab_path}"
    if fmt == "lab":
        raw = lab_path.read_bytes()
        assert raw.isascii(), "lab JSON must be ASCII-only like json.dump(ensure_ascii=True)"
        ours, theirs = json.loads(raw), json.loads(sdk_path.read_bytes())
        assert ours == theirs
        return len(ours)
    if fmt == "kili":
        mids: List[str] = []
        ours = strip_mid(json.loads(lab_path.read_bytes()), mids)
        theirs = strip_mid(unwrap_sdk_kili(json.loads(sdk_path.read_bytes())), [])
        assert all(re.fullmatch(r"[0-9a-f]{15}", m) for m in mids), mids
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            assert a == b, f"asset {b.get('externalId')} differs"
        return len(ours)
    if fmt == "yolo":
        ours, theirs = zip_contents(lab_path), zip_contents(sdk_path)
        assert sorted(ours) == sorted(theirs)
        for name in theirs:
            assert ours[name] == theirs[name], f"{name} differs:\n{ours[name]!r}\n{theirs[name]!r}"
        return len(ours)
    # mask
    ours = sorted(p.name for p in lab_path.iterdir())
    theirs = sorted(p.name for p in sdk_path.iterdir())
    assert ours == theirs
    for name in theirs:
        assert png_pixels(lab_path / name) == png_pixels(sdk_path / name), f"{name} pixels differ"
    return len(ours)


def compare(sdk, sb, project_id: str, ptype: Optional[str], fmt: str, tmp: pathlib.Path,
            options=None, creds=None, name="export") -> None:
    out_sdk, out_lab = tmp / "sdk", tmp / "lab"
    out_sdk.mkdir(exist_ok=True)
    out_lab.mkdir(exist_ok=True)
    filename = name + EXT[fmt]
    sdk_error = None
    try:
        sdk_export(sdk, project_id, fmt, out_sdk, filename, options)
    except Exception as e:  # the SDK refuses with a bare Exception
        sdk_error = e
    res = lab_export(sb, project_id, fmt, out_lab, filename, options, creds=creds)
    if sdk_error is not None:
        assert res.returncode != 0, f"SDK refused ({sdk_error}) but lab exported"
        assert res.stderr.strip(), "lab must say why it refuses"
        assert not (out_lab / filename).exists()
        return
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip().endswith(filename), res.stdout
    n = assert_same_export(fmt, out_sdk / filename, out_lab / filename)
    assert n > 0


# ---------------------------------------------------------------------------------------------
# parity on the seed projects
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("ptype", PTYPES)
def test_parity_seed_projects(populated, sdk, ptype, fmt, tmp_path):
    pid = PROJECT_IDS[ptype]
    if ptype == "form" and fmt == "mask":
        # The SDK picks the form's only image tool (a rectangle) and writes an empty folder;
        # Lab Desk refuses: masks need a segmentation tool.
        res = lab_export(populated, pid, fmt, tmp_path, "m")
        assert res.returncode != 0
        assert "segmentation" in res.stderr, res.stderr
        assert not (tmp_path / "m").exists()
        return
    compare(sdk, populated, pid, ptype, fmt, tmp_path)


def test_mask_options_parity(populated, sdk, tmp_path):
    compare(sdk, populated, PROJECT_IDS["iat-segmentation"], "iat-segmentation", "mask", tmp_path,
            options={"replace_extension": True, "semantic_mapping": SEMANTIC_MAPPING})
    names = sorted(p.name for p in (tmp_path / "lab" / "export").iterdir())
    assert names and all(n.endswith(".png") and ".png.png" not in n and ".jpg" not in n for n in names)


def test_filters_apply_to_exports(populated, sdk, tmp_path):
    pid = PROJECT_IDS["iat-rectangle"]
    batch = BATCH_IDS["iat-rectangle"]["other"]
    sdk.export_tasks(pid, "lab", output_folder=str(tmp_path / "sdk"), output_filename="f.json",
                     batch_id_in=[batch], status_in=["complete"], disable_progress_bar=True)
    res = lab_export(populated, pid, "lab", tmp_path / "lab", "f.json",
                     extra=["--batch", batch, "--status", "complete"])
    assert res.returncode == 0, res.stderr
    ours = json.loads((tmp_path / "lab" / "f.json").read_text())
    assert ours == json.loads((tmp_path / "sdk" / "f.json").read_text())
    assert ours and all(t["batchId"] == batch for t in ours)


def test_default_names_like_the_sdk(populated, sdk, tmp_path):
    pid = PROJECT_IDS["iat-segmentation"]
    patterns = {
        "lab": rf"lab_{pid}_\d{{4}}-\d\d-\d\d_\d\d:\d\d:\d\d\.json",
        "kili": rf"lab_kili_{pid}_\d{{4}}-\d\d-\d\d_\d\d:\d\d:\d\d\.json",
        "yolo": rf"lab_yolo_{pid}_\d{{4}}-\d\d-\d\d_\d\d:\d\d:\d\d\.zip",
        "mask": rf"lab_mask_{pid}_\d{{4}}-\d\d-\d\d_\d{{6}}",
    }
    for fmt, pattern in patterns.items():
        for side in ("sdk", "lab"):
            (tmp_path / fmt / side).mkdir(parents=True)
        sdk_export(sdk, pid, fmt, tmp_path / fmt / "sdk", None)
        res = lab_export(populated, pid, fmt, tmp_path / fmt / "lab", None)
        assert res.returncode == 0, res.stderr
        for side in ("sdk", "lab"):
            names = sorted(p.name for p in (tmp_path / fmt / side).iterdir())
            if side == "lab":
                # Lab Desk's manifest sidecar, named after the export; never inside it.
                manifests = [n for n in names if n.endswith(".manifest.json")]
                names = [n for n in names if n not in manifests]
                stem = re.sub(r"\.(json|zip)$", "", names[0]) if names else None
                assert manifests == [f"{stem}.manifest.json"], (names, manifests)
            assert len(names) == 1 and re.fullmatch(pattern, names[0]), (side, names)


@pytest.mark.parametrize("fmt,bad", [("lab", "x.zip"), ("kili", "x.txt"), ("yolo", "x.json"), ("lab", "x.JSON")])
def test_output_filename_extension_checks(populated, sdk, fmt, bad, tmp_path):
    pid = PROJECT_IDS["iat-rectangle"]
    with pytest.raises(Exception):
        sdk_export(sdk, pid, fmt, tmp_path, bad)
    res = lab_export(populated, pid, fmt, tmp_path, bad)
    assert res.returncode != 0
    assert EXT[fmt] in res.stderr, res.stderr
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------------------
# Lab Desk's own guarantees (the SDK does not have them)
# ---------------------------------------------------------------------------------------------

def test_empty_result_is_refused_and_writes_nothing(populated, tmp_path):
    for fmt in FORMATS:
        res = lab_export(populated, PROJECT_IDS["iat-segmentation"], fmt, tmp_path / "out", None,
                         extra=["--status", "reviewed"])
        assert res.returncode != 0
        assert "nothing to export" in res.stderr, res.stderr
    assert not (tmp_path / "out").exists()


def test_no_overwrite_unless_asked(populated, tmp_path):
    pid = PROJECT_IDS["iat-polygon"]
    (tmp_path / "x.json").write_text("keep me")
    res = lab_export(populated, pid, "lab", tmp_path, "x.json")
    assert res.returncode != 0 and "already exists" in res.stderr
    assert (tmp_path / "x.json").read_text() == "keep me"
    res = lab_export(populated, pid, "lab", tmp_path, "x.json", extra=["--overwrite"])
    assert res.returncode == 0, res.stderr
    assert json.loads((tmp_path / "x.json").read_text())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.json", "x.manifest.json"]


def test_hostile_task_names_stay_inside(populated, sdk, tmp_path):
    pid = PROJECT_IDS["iat-segmentation"]
    batch = BATCH_IDS["iat-segmentation"]["other"]
    hostile = ["../../evil.png", "a/b.png", "tab\there.png", "x" * 300 + ".png", "dup.png"]
    tasks = [{"name": n, "resources": ["https://example.invalid/h.png"], "data": segmentation_data("car")}
             for n in hostile]
    sdk.create_tasks(pid, batch, tasks, disable_progress_bar=True)
    sdk.create_tasks(pid, batch, tasks[-1:], disable_progress_bar=True, disable_unicity_check=True)
    hostile.append("dup.png")
    root = tmp_path / "deep" / "out"
    res = lab_export(populated, pid, "yolo", root, "h.zip", extra=["--batch", batch])
    assert res.returncode == 0, res.stderr
    assert "renamed" in res.stderr
    entries = zip_contents(root / "h.zip")
    for name in entries:
        parts = pathlib.PurePosixPath(name).parts
        assert ".." not in parts and not name.startswith("/"), name
        assert name in ("data.yaml", "labels/") or (len(parts) == 2 and parts[0] == "labels"), name
    assert len([n for n in entries if n.startswith("labels/") and n != "labels/"]) == len(hostile)
    res = lab_export(populated, pid, "mask", root, "masks", extra=["--batch", batch])
    assert res.returncode == 0, res.stderr
    pngs = list((root / "masks").iterdir())
    assert len(pngs) == len(hostile) and all(p.is_file() and p.parent == root / "masks" for p in pngs)
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file() and "evil" in p.name) == \
        [".._.._evil.png.png"]
    assert sorted(p.name for p in root.iterdir()) == ["h.manifest.json", "h.zip", "masks", "masks.manifest.json"]


# ---------------------------------------------------------------------------------------------
# parity on the demo data
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("project", DEMO_PROJECTS)
def test_parity_demo_projects(demo_sandbox, demo_sdk, project, fmt, tmp_path):
    if project == "demo-form" and fmt == "mask":
        res = lab_export(demo_sandbox, project, fmt, tmp_path, "m", creds=("demo", "demo"))
        assert res.returncode != 0
        return
    compare(demo_sdk, demo_sandbox, project, None, fmt, tmp_path, creds=("demo", "demo"))


# ---------------------------------------------------------------------------------------------
# sequences (video-like projects): Kili keyed by frame; YOLO and masks refused by both
# ---------------------------------------------------------------------------------------------

SEQ_PROJECT = "5e10000000000000000000f1"


def _sequence_seed() -> Dict[str, Any]:
    from labtest import iat_configuration, labels_for, make_seed

    seed = make_seed(with_tasks=False)
    cfg = iat_configuration("iat-rectangle")
    cfg["metadata"]["toolOptions"]["sequence"] = True
    tasks = []
    for i in range(3):
        body = {
            "annotations": [
                {"labels": labels_for("car"), "polygons": [
                    {"timestamp": 1, "geometry": {"type": "rectangle", "vertices": [0.1, 0.1, 0.4, 0.5]}},
                    {"timestamp": 3, "geometry": {"type": "rectangle", "vertices": [0.2, 0.1, 0.5, 0.5 + i / 10]}},
                ]},
                {"labels": labels_for("bike"), "polygons": [
                    {"timestamp": 2, "geometry": {"type": "rectangle", "vertices": [0, 0, 1, 1]}},
                ]},
            ],
            "image": {"width": 40, "height": 30},
        }
        tasks.append({"_id": f"5e10000000000000000000e{i}", "name": f"clip-{i}.mp4", "status": "complete",
                      "resources": [f"https://example.invalid/clip{i}/{f}.png" for f in range(3)],
                      "data": body})
    seed["projects"].append({"_id": SEQ_PROJECT, "name": "Sequences", "status": "pending",
                             "projectType": "iat-rectangle", "configuration": cfg,
                             "batches": [{"_id": "5e10000000000000000000f2", "name": "clips", "tasks": tasks}]})
    return seed


@pytest.fixture(scope="module")
def sequence_sandbox(sandbox_factory):
    return sandbox_factory(seed=_sequence_seed())


@pytest.mark.parametrize("fmt", FORMATS)
def test_parity_sequences(sequence_sandbox, fmt, tmp_path):
    sdk = sequence_sandbox.sdk()
    compare(sdk, sequence_sandbox, SEQ_PROJECT, "iat-rectangle", fmt, tmp_path)
    if fmt == "kili":
        assets = json.loads((tmp_path / "lab" / "export.json").read_text())
        jr = assets[0]["latestLabel"]["jsonResponse"]
        assert sorted(jr) == ["0", "1", "2"]
        assert jr["1"]["OBJECT_DETECTION_JOB"]["annotations"][0]["categories"] == [{"name": "bike"}]
    if fmt == "yolo":
        res = lab_export(sequence_sandbox, SEQ_PROJECT, fmt, tmp_path / "again", "x" + EXT[fmt])
        assert "sequence" in res.stderr, res.stderr


# ---------------------------------------------------------------------------------------------
# the Kili view of tasks: `lab tasks --compatibility kili` against the SDK's
# tasks(compatibility_mode="kili") (the same formatting as the Kili export, on both sides)
# ---------------------------------------------------------------------------------------------

def same_json(a: Any, b: Any) -> bool:
    """Equal as JSON text (NaN, which both sides write for a missing image size, equals NaN)."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def kili_views(sdk, sb, project_id: str):
    """(ours, theirs): each task's Kili asset by id, `mid`s left out; None when a side refuses."""
    try:
        theirs = strip_mid(unwrap_sdk_kili(list(sdk.tasks(project_id, compatibility_mode="kili",
                                                          disable_progress_bar=True))), [])
    except Exception:  # the SDK refuses with a bare Exception
        theirs = None
    res = run_lab(sb, "tasks", "--project", project_id, "--compatibility", "kili")
    mids: List[str] = []
    ours = strip_mid([json.loads(line) for line in res.stdout.splitlines() if line.strip()], mids) \
        if res.returncode == 0 else None
    assert all(re.fullmatch(r"[0-9a-f]{15}", m) for m in mids), mids
    if ours is None:
        assert res.stderr.strip(), "lab must say why it refuses"
    by_id = lambda assets: None if assets is None else {a["id"]: a for a in assets}  # noqa: E731
    return by_id(ours), by_id(theirs)


@pytest.mark.parametrize("ptype", PTYPES)
def test_tasks_kili_view_like_the_sdk(populated, sdk, ptype):
    ours, theirs = kili_views(sdk, populated, PROJECT_IDS[ptype])
    if theirs is None:
        assert ours is None, f"the SDK refuses the Kili view of {ptype} but lab gave one"
        return
    assert ours is not None, f"lab refuses the Kili view of {ptype}; the SDK gives one"
    assert ours and set(ours) == set(theirs)
    for tid, asset in theirs.items():
        assert same_json(ours[tid], asset), f"asset {asset.get('externalId')} differs"


def test_tasks_kili_view_of_sequences_like_the_sdk(sequence_sandbox):
    ours, theirs = kili_views(sequence_sandbox.sdk(), sequence_sandbox, SEQ_PROJECT)
    assert ours and theirs and set(ours) == set(theirs)
    for tid, asset in theirs.items():
        assert same_json(ours[tid], asset), f"asset {asset.get('externalId')} differs"
