"""Training-ready exports (not SDK formats): `lab export --format coco|yolo-dataset`.

The COCO files are read by pycocotools, the reference COCO API that trainers use (a real
consumer nobody here wrote): its index must load, and its boxes, areas and decoded masks must
match the lab data the tasks were created with. The YOLO dataset must pair every image with its
label file in the split named by data.yaml. Every export has a manifest whose SHA-256 match.
"""

from __future__ import annotations

import hashlib
import io
import json
import pathlib
import zipfile
from typing import Any, Dict, List

import numpy as np
import pytest
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO

from labtest import (
    BATCH_IDS,
    IMAGE_SIZE,
    LABELS,
    PROJECT_IDS,
    SEG_RECT_PX,
    form_data,
    polygon_data,
    rect_data,
    run_lab,
    segmentation_data,
)

W, H = IMAGE_SIZE["width"], IMAGE_SIZE["height"]
CATEGORY = {lbl["id"]: i + 1 for i, lbl in enumerate(LABELS)}


def shoelace(xy: List[float]) -> float:
    pts = list(zip(xy[0::2], xy[1::2]))
    s = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(pts, pts[1:] + pts[:1]))
    return abs(s) / 2


# name → (data, label, expected bbox in pixels, expected area)
def _cases() -> Dict[str, List[Dict[str, Any]]]:
    poly = [0.1, 0.1, 0.6, 0.2, 0.4, 0.7]
    poly_px = [v * (W if i % 2 == 0 else H) for i, v in enumerate(poly)]
    x0, y0, x1, y1 = SEG_RECT_PX
    return {
        "iat-rectangle": [
            {"name": "r1.png", "data": rect_data("car"), "label": "car",
             "bbox": [0.1 * W, 0.2 * H, 0.4 * W, 0.4 * H], "area": 0.4 * W * 0.4 * H},
            {"name": "r2.png", "data": rect_data("bike", (0.5, 0.5, 0.0, 0.0)), "label": "bike",
             "bbox": [0.0, 0.0, 0.5 * W, 0.5 * H], "area": 0.25 * W * H},
        ],
        "iat-polygon": [
            {"name": "p1.png", "data": polygon_data("person"), "label": "person",
             "bbox": [0.1 * W, 0.1 * H, 0.5 * W, 0.6 * H], "area": shoelace(poly_px)},
        ],
        "iat-segmentation": [
            {"name": f"s-{lbl}.png", "data": segmentation_data(lbl), "label": lbl,
             "bbox": [x0, y0, x1 - x0, y1 - y0], "area": (x1 - x0) * (y1 - y0)}
            for lbl in ("car", "person")
        ],
        "form": [
            {"name": "f1.png", "data": form_data("urgent"), "label": "car",
             "bbox": [0.1 * W, 0.2 * H, 0.4 * W, 0.4 * H], "area": 0.4 * W * 0.4 * H},
        ],
    }


@pytest.fixture(scope="module")
def training(sandbox_factory, tmp_path_factory):
    sb = sandbox_factory()
    sdk = sb.sdk()
    for ptype, cases in _cases().items():
        sdk.create_tasks(PROJECT_IDS[ptype], BATCH_IDS[ptype]["main"],
                         [{"name": c["name"], "resources": [f"https://example.invalid/{c['name']}"],
                           "data": c["data"]} for c in cases],
                         disable_progress_bar=True)
    return sb


def lab_export(sb, project: str, fmt: str, folder: pathlib.Path, name: str, *options: str,
               extra=()):
    args = ["export", "--quiet", "--project", project, "--format", fmt,
            "--output-folder", str(folder), "--output-filename", name]
    for o in options:
        args += ["--option", o]
    res = run_lab(sb, *args, *extra)
    assert res.returncode == 0, res.stderr
    return res


def check_manifest(folder: pathlib.Path, stem: str, fmt: str) -> Dict[str, Any]:
    m = json.loads((folder / f"{stem}.manifest.json").read_text())
    assert m["manifestVersion"] == 1 and m["format"]["id"] == fmt
    assert m["generator"]["name"] == "Lab Desk"
    assert m["counts"]["tasks"] == len(m["taskIds"]) > 0
    for f in m["files"]:
        data = (folder / f["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == f["sha256"] and len(data) == f["bytes"], f["path"]
    return m


@pytest.mark.parametrize("ptype", ["iat-rectangle", "iat-polygon", "iat-segmentation", "form"])
def test_pycocotools_loads_coco_and_it_matches_the_lab_data(training, tmp_path, ptype):
    lab_export(training, PROJECT_IDS[ptype], "coco", tmp_path, "c.json", extra=["--batch", BATCH_IDS[ptype]["main"]])
    coco = COCO(str(tmp_path / "c.json"))
    cases = {c["name"]: c for c in _cases()[ptype]}
    # categories: the project's labels, ids from 1 in label order
    assert [(c["id"], c["lab_label_id"]) for c in coco.loadCats(coco.getCatIds())] == \
        [(i + 1, lbl["id"]) for i, lbl in enumerate(LABELS)]
    imgs = coco.loadImgs(coco.getImgIds())
    assert sorted(i["lab_task_name"] for i in imgs) == sorted(cases)
    for img in imgs:
        assert (img["width"], img["height"]) == (W, H)
        case = cases[img["lab_task_name"]]
        anns = coco.loadAnns(coco.getAnnIds(imgIds=[img["id"]]))
        assert len(anns) == 1, anns
        a = anns[0]
        assert a["category_id"] == CATEGORY[case["label"]]
        assert a["iscrowd"] == 0
        assert a["bbox"] == pytest.approx(case["bbox"], abs=1e-3)
        assert a["area"] == pytest.approx(case["area"], rel=1e-3)
        # the decoded mask covers the shape (pycocotools rasterises polygons itself)
        m = coco.annToMask(a)
        assert m.shape == (H, W)
        if ptype == "iat-segmentation":
            assert int(m.sum()) == case["area"]
            assert int(mask_utils.area(coco.annToRLE(a))) == case["area"]
            x0, y0, x1, y1 = SEG_RECT_PX
            assert m[y0:y1, x0:x1].all() and m.sum() == m[y0:y1, x0:x1].sum()
        else:
            assert abs(int(m.sum()) - case["area"]) <= 0.1 * case["area"] + 4 * (W + H) * 0.1
    check_manifest(tmp_path, "c", "coco")


def test_coco_category_ids_are_stable_across_exports(training, tmp_path):
    pid = PROJECT_IDS["iat-rectangle"]
    lab_export(training, pid, "coco", tmp_path, "a.json", extra=["--name", "r2.png"])
    lab_export(training, pid, "coco", tmp_path, "b.json")
    a, b = (json.loads((tmp_path / n).read_text()) for n in ("a.json", "b.json"))
    assert a["categories"] == b["categories"]
    assert a["annotations"][0]["category_id"] == CATEGORY["bike"]


def test_coco_refuses_lines_and_graphs(training, tmp_path):
    res = run_lab(training, "export", "--quiet", "--project", PROJECT_IDS["iat-graph"],
                  "--format", "coco", "--output-folder", str(tmp_path))
    assert res.returncode != 0
    assert "iat-rectangle" in res.stderr and "iat-graph" in res.stderr, res.stderr
    assert list(tmp_path.iterdir()) == []


def test_demo_coco_with_images_and_yolo_dataset(demo_sandbox, tmp_path):
    creds = dict(access_id="demo", secret_key="demo")
    res = run_lab(demo_sandbox, "export", "--quiet", "--project", "demo-segmentation", "--format", "coco",
                  "--output-folder", str(tmp_path), "--output-filename", "seg.json",
                  "--option", "images=true", **creds)
    assert res.returncode == 0, res.stderr
    coco = COCO(str(tmp_path / "seg.json"))
    with zipfile.ZipFile(tmp_path / "seg_images.zip") as z:
        names = set(z.namelist())
        from PIL import Image
        for img in coco.loadImgs(coco.getImgIds()):
            assert img["file_name"] in names
            with Image.open(io.BytesIO(z.read(img["file_name"]))) as im:
                assert im.size == (img["width"], img["height"])
    anns = coco.loadAnns(coco.getAnnIds())
    assert anns and all(isinstance(a["segmentation"], dict) for a in anns)
    assert all(mask_utils.area(coco.annToRLE(a)) == a["area"] for a in anns)
    check_manifest(tmp_path, "seg", "coco")

    res = run_lab(demo_sandbox, "export", "--quiet", "--project", "demo-rectangle", "--format", "yolo-dataset",
                  "--output-folder", str(tmp_path), "--output-filename", "ds.zip",
                  "--option", "split=70,20,10", "--option", "seed=5", **creds)
    assert res.returncode == 0, res.stderr
    with zipfile.ZipFile(tmp_path / "ds.zip") as z:
        names = z.namelist()
        yaml = z.read("data.yaml").decode()
        images = [n for n in names if n.startswith("images/") and not n.endswith("/")]
        assert images
        nc = int(next(line for line in yaml.splitlines() if line.startswith("nc: "))[4:])
        class_names = [line.split(": ", 1)[1] for line in yaml.splitlines() if line.startswith("  ")]
        assert len(class_names) == nc > 0
        for n in images:
            split, file = n.split("/")[1:]
            stem = file.rsplit(".", 1)[0]
            assert f"labels/{split}/{stem}.txt" in names, n
            assert f"{split}: images/{split}" in yaml
            rows = z.read(f"labels/{split}/{stem}.txt").decode().splitlines()
            for row in rows:
                cls, *xywh = row.split()
                assert 0 <= int(cls) < nc and len(xywh) == 4
                assert all(0.0 <= float(v) <= 1.0 for v in xywh), row
    m = check_manifest(tmp_path, "ds", "yolo-dataset")
    assert sum(n for _, n in m["counts"]["splits"]) == len(images) == m["counts"]["tasks"]


def test_images_the_lab_does_not_serve_are_reported_per_task(sandbox_factory, tmp_path):
    """Against the contract's routes only, uploaded images cannot be downloaded: each task is
    listed with the reason, in the output and the manifest, and nothing else is lost."""
    sb = sandbox_factory(demo=True, extra_args=["--contract-only"])
    res = run_lab(sb, "export", "--project", "demo-rectangle", "--format", "yolo-dataset",
                  "--output-folder", str(tmp_path), "--output-filename", "ds.zip",
                  access_id="demo", secret_key="demo")
    assert res.returncode == 0, res.stderr
    assert "without their image" in res.stderr, res.stderr
    m = json.loads((tmp_path / "ds.manifest.json").read_text())
    missing = m["missingImages"]
    assert len(missing) == m["counts"]["tasks"] == m["counts"]["missingImages"] > 0
    assert all(x["kind"] == "notServed" and "does not let its uploaded image be downloaded" in x["reason"]
               for x in missing)
    with zipfile.ZipFile(tmp_path / "ds.zip") as z:
        assert not [n for n in z.namelist() if n.startswith("images/") and not n.endswith("/")]
