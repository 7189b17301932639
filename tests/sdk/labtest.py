"""Shared helpers for the SDK suites: sandbox process, seed workspace, task data, `lab` runner.

Fixtures (see conftest.py) wrap these; tests may also import them directly
(`from labtest import ...`). Documented in /work/notes/tests-sdk-api.md.
"""

from __future__ import annotations

import base64
import copy
import io
import json
import os
import pathlib
import queue
import subprocess
import threading
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

REPO = pathlib.Path(__file__).resolve().parents[2]
TARGET_DIR = pathlib.Path(os.environ.get("CARGO_TARGET_DIR") or (REPO / "target"))
SANDBOX_BIN = pathlib.Path(os.environ.get("LAB_SANDBOX_BIN") or (TARGET_DIR / "debug" / "lab-sandbox"))
LAB_BIN = pathlib.Path(os.environ.get("LAB_BIN") or (TARGET_DIR / "debug" / "lab"))

ACCESS_ID = "sdk-tests"
SECRET_KEY = "sdk-tests-secret"

# ---------------------------------------------------------------------------------------------
# Seed workspace: one project per type, fixed ids so two sandboxes from one seed agree.
# ---------------------------------------------------------------------------------------------

PROJECT_IDS = {
    "iat-rectangle": "5e1000000000000000000001",
    "iat-polygon": "5e1000000000000000000002",
    "iat-segmentation": "5e1000000000000000000003",
    "iat-graph": "5e1000000000000000000004",
    "iat-polyline": "5e1000000000000000000005",
    "form": "5e1000000000000000000006",
}
PROJECT_NAMES = {
    "iat-rectangle": "Seed rectangles",
    "iat-polygon": "Seed polygons",
    "iat-segmentation": "Seed segmentation",
    "iat-graph": "Seed graph keypoints",
    "iat-polyline": "Seed polylines",
    "form": "Seed form review",
}
# Two batches per project: "main" and "other".
BATCH_IDS = {
    ptype: {"main": pid[:-2] + "b" + pid[-1], "other": pid[:-2] + "c" + pid[-1]}
    for ptype, pid in PROJECT_IDS.items()
}
# Seed tasks (see bugs-lab-sandbox.md "seed tasks" request): in the rectangle project's
# "other" batch, current data differs from initial data, dates are fixed.
SEED_TASK_IDS = ["5e10000000000000000000a1", "5e10000000000000000000a2", "5e10000000000000000000a3"]

LABELS = [
    {"id": "car", "name": "Car", "color": "#e6194b", "bChannel": 1},
    {"id": "person", "name": "Person", "color": "#3cb44b", "bChannel": 2},
    {"id": "bike", "name": "Bike", "color": "#4363d8", "bChannel": 3},
]
MAIN_LIST = "Objects"


def label_options() -> Dict[str, Any]:
    return {
        "mainLists": [{"name": MAIN_LIST, "keys": ["objects"]}],
        "availableLabels": {"objects": copy.deepcopy(LABELS)},
    }


def iat_configuration(ptype: str) -> Dict[str, Any]:
    return {
        "projectType": ptype,
        "metadata": {
            "labelOptions": label_options(),
            "toolOptions": {"sequence": False},
        },
    }


FORM_TOOL_INPUT = "picture"


def form_configuration() -> Dict[str, Any]:
    tool_config = {
        "projectType": "iat-rectangle",
        "metadata": {"labelOptions": label_options(), "toolOptions": {"sequence": False}},
    }
    return {
        "projectType": "form",
        "metadata": {
            "labelOptions": label_options(),
            "toolOptions": {"sequence": False},
            "inputsLayout": [
                [
                    [
                        {"id": "title", "type": "display-title", "static": True, "submit": False,
                         "config": {"text": "Check the picture"}},
                        {"id": FORM_TOOL_INPUT, "type": "tool-iat-rectangle", "submit": True,
                         "config": tool_config},
                    ],
                    [
                        {"id": "comment", "type": "text", "submit": True, "config": {"label": "Comment"}},
                        {"id": "count", "type": "number", "submit": True, "config": {"label": "Count"}},
                        {"id": "agree", "type": "checkbox", "submit": True, "config": {"label": "Agree"}},
                    ],
                ]
            ],
        },
    }


def project_configuration_for(ptype: str) -> Dict[str, Any]:
    return form_configuration() if ptype == "form" else iat_configuration(ptype)


def seed_tasks() -> List[Dict[str, Any]]:
    """Tasks whose current data differs from their initial data (for redo keep/reset)."""
    tasks = []
    for i, tid in enumerate(SEED_TASK_IDS):
        tasks.append({
            "_id": tid,
            "name": f"seeded-{i + 1}.png",
            "status": "complete",
            "resources": [f"https://example.invalid/seeded-{i + 1}.png"],
            "properties": {"score": i + 1},
            # sandbox seed extension: `data` = initial data, `body` = current data body
            "data": {"annotations": []},
            "body": rect_data(label="person", box=(0.1 * (i + 1), 0.1, 0.5, 0.6)),
            "createdAt": f"2024-01-0{i + 1}T10:00:00.000Z",
            "updatedAt": f"2024-02-0{i + 1}T10:00:00.000Z",
        })
    return tasks


def make_seed(with_tasks: bool = True) -> Dict[str, Any]:
    projects = []
    for ptype, pid in PROJECT_IDS.items():
        batches = [
            {"_id": BATCH_IDS[ptype]["main"], "name": "main"},
            {"_id": BATCH_IDS[ptype]["other"], "name": "other"},
        ]
        if with_tasks and ptype == "iat-rectangle":
            batches[1]["tasks"] = seed_tasks()
        projects.append({
            "_id": pid,
            "name": PROJECT_NAMES[ptype],
            "status": "pending",
            "projectType": ptype,
            "configuration": project_configuration_for(ptype),
            "batches": batches,
        })
    # an archived project, for the statuses filter
    projects.append({
        "_id": "5e1000000000000000000009",
        "name": "Old archived rectangles",
        "status": "archived",
        "projectType": "iat-rectangle",
        "configuration": iat_configuration("iat-rectangle"),
        "batches": [],
    })
    return {
        "credentials": [
            {"access_id": ACCESS_ID, "secret_key": SECRET_KEY},
            {"access_id": "demo", "secret_key": "demo"},
        ],
        "projects": projects,
    }


# ---------------------------------------------------------------------------------------------
# Task data valid for the SDK's schemas (vertices normalised to [0, 1]).
# ---------------------------------------------------------------------------------------------

IMAGE_SIZE = {"width": 40, "height": 30}


def labels_for(label: str) -> Dict[str, Any]:
    name = next(lbl["name"] for lbl in LABELS if lbl["id"] == label)
    return {MAIN_LIST: {"labels": [{"id": label, "name": name}]}}


def rect_data(label: str = "car", box=(0.1, 0.2, 0.5, 0.6)) -> Dict[str, Any]:
    return {
        "annotations": [
            {"polygons": [{"geometry": {"type": "rectangle", "vertices": list(box)}}],
             "labels": labels_for(label)}
        ],
        "image": dict(IMAGE_SIZE),
    }


def polygon_data(label: str = "person") -> Dict[str, Any]:
    return {
        "annotations": [
            {"polygons": [{"geometry": {"type": "polygon",
                                        "vertices": [0.1, 0.1, 0.6, 0.2, 0.4, 0.7]}}],
             "labels": labels_for(label)}
        ],
        "image": dict(IMAGE_SIZE),
    }


def polyline_data(label: str = "bike") -> Dict[str, Any]:
    # The SDK's generic image schema only allows "polygon" and "graph" geometries.
    return {
        "annotations": [
            {"polygons": [{"geometry": {"type": "polygon", "vertices": [0.0, 0.5, 0.5, 0.5, 1.0, 0.25]}}],
             "labels": labels_for(label)}
        ],
        "image": dict(IMAGE_SIZE),
    }


def graph_data(label: str = "person") -> Dict[str, Any]:
    return {
        "annotations": [
            {"polygons": [{"geometry": {"type": "graph",
                                        "vertices": [0.2, 0.2, 0.4, 0.4, 0.6, 0.2],
                                        "edges": [[0, 1], [1, 2]]}}],
             "labels": labels_for(label)}
        ],
        "image": dict(IMAGE_SIZE),
    }


# segmentation: mask pixel (r=instance, g=0, b=bChannel); approximation in absolute pixels
SEG_RECT_PX = (4, 3, 20, 15)  # x0, y0, x1, y1 (exclusive) of the painted area


def segmentation_mask_png(label: str = "car", rect=SEG_RECT_PX, size=IMAGE_SIZE) -> bytes:
    from PIL import Image

    bchannel = next(lbl["bChannel"] for lbl in LABELS if lbl["id"] == label)
    img = Image.new("RGB", (size["width"], size["height"]), (0, 0, 0))
    x0, y0, x1, y1 = rect
    for x in range(x0, x1):
        for y in range(y0, y1):
            img.putpixel((x, y), (2, 0, bchannel))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def segmentation_data(label: str = "car") -> Dict[str, Any]:
    x0, y0, x1, y1 = SEG_RECT_PX
    bchannel = next(lbl["bChannel"] for lbl in LABELS if lbl["id"] == label)
    return {
        "annotations": [
            {"polygons": [2, 0, bchannel],
             "labels": labels_for(label),
             "approximation": {
                 "polygons": [{"geometry": {"type": "polygon",
                                            "vertices": [x0, y0, x1 - 1, y0, x1 - 1, y1 - 1, x0, y1 - 1]}}],
                 "minus": []}}
        ],
        "mask": "data:image/png;base64," + base64.b64encode(segmentation_mask_png(label)).decode(),
        "image": dict(IMAGE_SIZE),
    }


def form_data(comment: str = "urgent", count: int = 3, agree: str = "yes",
              resources: Optional[List[str]] = None) -> Dict[str, Any]:
    tool = rect_data("car")
    if resources is not None:
        tool["resources"] = resources
    return {"comment": comment, "count": count, "agree": agree, FORM_TOOL_INPUT: tool}


DATA_BUILDERS = {
    "iat-rectangle": rect_data,
    "iat-polygon": polygon_data,
    "iat-polyline": polyline_data,
    "iat-graph": graph_data,
    "iat-segmentation": segmentation_data,
    "form": form_data,
}


def valid_data(ptype: str) -> Dict[str, Any]:
    return DATA_BUILDERS[ptype]()


# ---------------------------------------------------------------------------------------------
# Images
# ---------------------------------------------------------------------------------------------

def write_image(path: pathlib.Path, fmt: str = "PNG", size=(IMAGE_SIZE["width"], IMAGE_SIZE["height"]),
                color=(200, 30, 30)) -> pathlib.Path:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, color).save(path, format=fmt)
    return path


# ---------------------------------------------------------------------------------------------
# Sandbox process
# ---------------------------------------------------------------------------------------------

class SandboxError(RuntimeError):
    pass


@dataclass
class Sandbox:
    """A running `lab-sandbox serve` on port 0 with its own data dir."""

    data_dir: pathlib.Path
    seed: Optional[pathlib.Path] = None
    demo: bool = False
    token_ttl: Optional[int] = None
    request_log: Optional[pathlib.Path] = None
    extra_args: List[str] = field(default_factory=list)
    url: str = ""
    proc: Optional[subprocess.Popen] = None
    stderr_path: Optional[pathlib.Path] = None

    def start(self, startup_timeout: float = 30.0) -> "Sandbox":
        if not SANDBOX_BIN.exists():
            raise SandboxError(f"lab-sandbox binary not found at {SANDBOX_BIN} (build it: "
                               "cargo build -p lab-sandbox, or set LAB_SANDBOX_BIN)")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        args = [str(SANDBOX_BIN), "serve", "--addr", "127.0.0.1:0", "--data-dir", str(self.data_dir)]
        if self.seed:
            args += ["--seed", str(self.seed)]
        if self.demo:
            args += ["--demo"]
        if self.token_ttl is not None:
            args += ["--token-ttl", str(self.token_ttl)]
        if self.request_log:
            args += ["--request-log", str(self.request_log)]
        args += self.extra_args
        self.stderr_path = self.data_dir.parent / (self.data_dir.name + ".stderr.log")
        stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=stderr, stdin=subprocess.DEVNULL)
        stderr.close()
        lines: "queue.Queue[Optional[str]]" = queue.Queue()

        def pump(stream):
            first = True
            for raw in iter(stream.readline, b""):
                if first:
                    lines.put(raw.decode(errors="replace").rstrip("\r\n"))
                    first = False
            if first:
                lines.put(None)

        threading.Thread(target=pump, args=(self.proc.stdout,), daemon=True).start()
        try:
            first = lines.get(timeout=startup_timeout)
        except queue.Empty:
            self.stop()
            raise SandboxError(f"lab-sandbox printed nothing within {startup_timeout}s: {self.stderr_tail()}")
        prefix = "listening on "
        if first is None or not first.startswith(prefix):
            self.stop()
            raise SandboxError(f"unexpected first stdout line {first!r} (args {args}); stderr: {self.stderr_tail()}")
        self.url = first[len(prefix):].strip()
        if not self.url.endswith("/"):
            raise SandboxError(f"listening URL must end with '/': {self.url!r}")
        return self

    def stderr_tail(self, n: int = 2000) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")[-n:] if self.stderr_path else ""
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    # -- request log ---------------------------------------------------------------------
    def log_lines(self) -> List[Dict[str, Any]]:
        if not self.request_log or not self.request_log.exists():
            return []
        out = []
        for line in self.request_log.read_text().splitlines():
            line = line.strip()
            if line:
                out.append(json.loads(line))
        return out

    def log_mark(self) -> int:
        return len(self.log_lines())

    def log_since(self, mark: int, settle: float = 0.05) -> List[Dict[str, Any]]:
        """Log lines after `mark`, read once the file stops growing (the server may append
        the last line just after answering)."""
        import time

        prev = None
        for _ in range(40):
            size = self.request_log.stat().st_size if self.request_log and self.request_log.exists() else 0
            if size == prev:
                break
            prev = size
            time.sleep(settle)
        return self.log_lines()[mark:]

    # -- raw HTTP helpers ---------------------------------------------------------------
    def login(self, access_id: str = ACCESS_ID, secret_key: str = SECRET_KEY) -> Dict[str, Any]:
        import requests

        r = requests.post(self.url + "api/user-manager/auth/login",
                          data={"access_id": access_id, "secret_key": secret_key}, timeout=10)
        assert r.status_code == 201, (r.status_code, r.text)
        return r.json()

    def sdk(self, access_id: str = ACCESS_ID, secret_key: str = SECRET_KEY):
        from isahitlab.client import IsahitLab

        return IsahitLab(access_id=access_id, secret_key=secret_key, endpoint=self.url)


def write_seed(path: pathlib.Path, seed: Optional[Dict[str, Any]] = None) -> pathlib.Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(seed if seed is not None else make_seed(), indent=1))
    return path


# ---------------------------------------------------------------------------------------------
# `lab` binary
# ---------------------------------------------------------------------------------------------

def run_lab(sandbox: Sandbox, *args: str, access_id: str = ACCESS_ID, secret_key: str = SECRET_KEY,
            timeout: float = 120, cwd: Optional[pathlib.Path] = None) -> subprocess.CompletedProcess:
    """Run `lab ARGS…` against the sandbox, credentials via the SDK's environment variables."""
    if not LAB_BIN.exists():
        raise AssertionError(f"`lab` binary not found at {LAB_BIN} (cargo build -p lab-cli, or set LAB_BIN)")
    env = dict(os.environ)
    env.update({
        "ISAHIT_LAB_API_ACCESS_ID": access_id,
        "ISAHIT_LAB_API_SECRET_KEY": secret_key,
        "ISAHIT_LAB_API_ENDPOINT": sandbox.url,
        "NO_COLOR": "1",
    })
    # a throwaway activity log per sandbox, never the user's
    env.setdefault("LABDESK_ACTIVITY_DB", str(sandbox.data_dir.parent / (sandbox.data_dir.name + ".activity.sqlite3")))
    return subprocess.run([str(LAB_BIN), *args], env=env, capture_output=True, text=True,
                          timeout=timeout, cwd=cwd)


def json_lines(text: str) -> List[Any]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


# ---------------------------------------------------------------------------------------------
# Expectations written from the contract (not from the SDK's code)
# ---------------------------------------------------------------------------------------------

def _label_cfg(label_id: str) -> Dict[str, Any]:
    return next(lbl for lbl in LABELS if lbl["id"] == label_id)


def _prepare_annotations(annotations: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    out = []
    for ann in annotations:
        ann = copy.deepcopy(ann)
        ids = [lbl["id"] for lst in ann.get("labels", {}).values() for lbl in lst.get("labels", [])]
        cfgs = [_label_cfg(i) for i in ids if any(lbl["id"] == i for lbl in LABELS)]
        if cfgs and "text" not in ann:
            ann["text"] = ", ".join(c["name"] for c in cfgs)
        if cfgs and "color" not in ann:
            ann["color"] = cfgs[-1]["color"]
        out.append(ann)
    return out


def prepared(ptype: str, data: Optional[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """Initial data as the SDK sends it: annotations get text/colour from their main labels."""
    if data is None:
        return None
    data = copy.deepcopy(data)
    if ptype == "form":
        tool = data.get(FORM_TOOL_INPUT)
        if tool is not None:
            tool["annotations"] = _prepare_annotations(tool.get("annotations", []))
    else:
        data["annotations"] = _prepare_annotations(data.get("annotations", []))
    return data


def without_overwrite_key(body: Optional[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """Drop the creation-time `__project_configuration_overwrite__` marker if a server keeps it."""
    if isinstance(body, dict):
        return {k: v for k, v in body.items() if k != "__project_configuration_overwrite__"}
    return body
