"""The spec corpus: every bundled spec, in every mode it lists, comes out as it says.

The distinct-state count of each run is pinned in `specs/manifest.json`, so a change
in the model is never silent: regenerate it deliberately with
`FORKSPEC_UPDATE_MANIFEST=1 python -m pytest tests/test_specs.py`.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from forkspec.engines.result import INCONCLUSIVE
from forkspec.frontend import load_spec
from forkspec.session import Options, run

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted((ROOT / "specs").rglob("*.c"))
MANIFEST = ROOT / "specs" / "manifest.json"
CASES = [(p, m) for p in SPECS for m in load_spec(p).header.modes]
_observed: dict[str, int] = {}


def _key(path: Path, mode: str) -> str:
    return f"{path.relative_to(ROOT).as_posix()}:{mode}"


@pytest.fixture(scope="module")
def manifest():
    data = json.loads(MANIFEST.read_text()) if MANIFEST.exists() else {}
    yield data
    if os.environ.get("FORKSPEC_UPDATE_MANIFEST"):
        MANIFEST.write_text(json.dumps(dict(sorted(_observed.items())), indent=1) + "\n")


@pytest.mark.parametrize("path,mode", CASES, ids=[_key(p, m) for p, m in CASES])
def test_spec_comes_out_as_it_says(path, mode, manifest):
    r = run(load_spec(path), mode, Options())
    ex = r.exploration
    assert ex.stats.complete, ex.stats.cut
    wrong = [(x.check.name, x.verdict, x.reason) for x in ex.results if not x.passed]
    assert not wrong
    assert not any(x.verdict == INCONCLUSIVE for x in ex.results)
    _observed[_key(path, mode)] = ex.stats.distinct
    if not os.environ.get("FORKSPEC_UPDATE_MANIFEST"):
        assert _key(path, mode) in manifest, "new spec: regenerate specs/manifest.json"
        assert ex.stats.distinct == manifest[_key(path, mode)], "the model changed: regenerate the manifest on purpose"


def test_manifest_lists_no_spec_that_is_gone():
    if not MANIFEST.exists():
        pytest.fail("specs/manifest.json is missing")
    known = {_key(p, m) for p, m in CASES}
    assert set(json.loads(MANIFEST.read_text())) <= known
