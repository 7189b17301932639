"""Fixtures for the SDK conformance and request-parity suites (documented in
/work/notes/tests-sdk-api.md). Each sandbox is a real `lab-sandbox serve` process on port 0
with a temporary data dir; it is terminated (then waited for) at teardown."""

from __future__ import annotations

import logging
import pathlib
from typing import Callable, Dict

import pytest

import labtest
from labtest import Sandbox, write_image, write_seed

# The SDK logs at DEBUG through the root logger; keep test output readable.
logging.getLogger("isahitlab").setLevel(logging.WARNING)


@pytest.fixture(scope="session")
def seed_file(tmp_path_factory) -> pathlib.Path:
    """The standard seed JSON (labtest.make_seed()): one project per type + an archived one."""
    return write_seed(tmp_path_factory.mktemp("seed") / "seed.json")


@pytest.fixture(scope="module")
def sandbox_factory(tmp_path_factory) -> Callable[..., Sandbox]:
    """`sandbox_factory(seed=path|dict|None, demo=False, token_ttl=None, request_log=False,
    extra_args=[])` starts a fresh sandbox (own data dir); all are stopped at module end.
    seed=None with demo=False uses the standard seed."""
    started = []

    def start(seed=None, demo: bool = False, token_ttl=None, request_log: bool = False,
              extra_args=None) -> Sandbox:
        root = tmp_path_factory.mktemp("sandbox")
        seed_path = None
        if isinstance(seed, (str, pathlib.Path)):
            seed_path = pathlib.Path(seed)
        elif isinstance(seed, dict):
            seed_path = write_seed(root / "seed.json", seed)
        elif seed is None and not demo:
            seed_path = write_seed(root / "seed.json")
        sb = Sandbox(
            data_dir=root / "data",
            seed=seed_path,
            demo=demo,
            token_ttl=token_ttl,
            request_log=(root / "requests.jsonl") if request_log else None,
            extra_args=list(extra_args or []),
        )
        started.append(sb)
        return sb.start()

    yield start
    for sb in started:
        sb.stop()


@pytest.fixture(scope="module")
def sandbox(sandbox_factory) -> Sandbox:
    """Module-wide sandbox with the standard seed and a request log."""
    return sandbox_factory(request_log=True)


@pytest.fixture(scope="module")
def sdk(sandbox):
    """IsahitLab client (seed credentials) for `sandbox`."""
    return sandbox.sdk()


@pytest.fixture(scope="module")
def demo_sandbox(sandbox_factory) -> Sandbox:
    """Module-wide `--demo` sandbox (credentials demo/demo)."""
    return sandbox_factory(demo=True)


@pytest.fixture(scope="module")
def demo_sdk(demo_sandbox):
    return demo_sandbox.sdk("demo", "demo")


@pytest.fixture
def fresh_sandbox(tmp_path) -> Sandbox:
    """Per-test sandbox with the standard seed and a request log (for tests that need clean state)."""
    sb = Sandbox(data_dir=tmp_path / "data", seed=write_seed(tmp_path / "seed.json"),
                 request_log=tmp_path / "requests.jsonl")
    sb.start()
    yield sb
    sb.stop()


@pytest.fixture(scope="module")
def images(tmp_path_factory) -> Dict[str, pathlib.Path]:
    """Tiny images made with Pillow: keys png1, png2, jpg1, jpg2 (distinct colours/sizes),
    plus 'folder' (a directory holding a.png, b.jpg)."""
    root = tmp_path_factory.mktemp("images")
    out = {
        "png1": write_image(root / "one.png", "PNG", color=(255, 0, 0)),
        "png2": write_image(root / "two.png", "PNG", size=(20, 10), color=(0, 255, 0)),
        "jpg1": write_image(root / "three.jpg", "JPEG", color=(0, 0, 255)),
        "jpg2": write_image(root / "four.jpeg", "JPEG", size=(16, 16), color=(9, 9, 9)),
    }
    folder = root / "folder"
    write_image(folder / "a.png", "PNG", color=(1, 2, 3))
    write_image(folder / "b.jpg", "JPEG", color=(4, 5, 6))
    out["folder"] = folder
    return out


@pytest.fixture
def lab(sandbox):
    """`lab(*args)` runs the `lab` binary against the module sandbox (CompletedProcess)."""
    return lambda *args, **kw: labtest.run_lab(sandbox, *args, **kw)
