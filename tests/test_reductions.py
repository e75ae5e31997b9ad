"""Every reduction is harmless: with and without it, the same verdicts and outcome sets.

Checked on every bundled spec (in its first mode), one reduction at a time and all
off together. Runs without reductions are bounded; a run that hits the bound is
reported, never silently passed.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from forkspec.frontend import load_spec
from forkspec.session import Options, run

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted((ROOT / "specs").rglob("*.c"))
VARIANTS = {
    "no-merge": Options(merge_local=False),
    "no-eager-reap": Options(eager_reap=False),
    "none": Options(merge_local=False, eager_reap=False),
}
LIMIT = 60_000


def summary(spec, mode, opts):
    r = run(spec, mode, opts)
    ex = r.exploration
    verdicts = {x.check.name: x.verdict for x in ex.results}
    outcomes = {r.kernel.outcome(ex.states[i]) for i in ex.finals}
    return verdicts, outcomes, ex.stats


@pytest.mark.parametrize("path", SPECS, ids=[p.relative_to(ROOT).as_posix() for p in SPECS])
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_reduction_changes_no_verdict_and_no_outcome(path, variant):
    spec = load_spec(path)
    mode = spec.header.modes[0]
    base_v, base_o, base_s = summary(spec, mode, Options())
    opts = VARIANTS[variant]
    v, o, s = summary(spec, mode, Options(merge_local=opts.merge_local, eager_reap=opts.eager_reap, max_states=LIMIT))
    if not s.complete:
        pytest.skip(f"without reduction the search exceeds {LIMIT} states ({s.cut})")
    assert v == base_v
    assert o == base_o
    assert s.distinct >= base_s.distinct
