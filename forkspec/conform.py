"""Conformance: what the real kernel does must be something the model allows.

Each observed outcome (stdout, exit status of the first process, processes
created) is compared with the model's outcome set. An observation outside it is a
*negative difference*: the model is too strong and wrong. A model outcome never
observed is a positive difference: allowed, listed for coverage.
"""
from __future__ import annotations

import re
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from forkspec import realrun
from forkspec.frontend import Spec
from forkspec.report.text import c_string
from forkspec.session import Options, run

_POINTER = re.compile(r"0x[0-9a-fA-F]+|\(nil\)")


def normalise(text: str) -> str:
    """Addresses differ between the model and a real run (ASLR): compare them as `<ptr>`."""
    return _POINTER.sub("<ptr>", text)


def key(stdout: str, exit_status: int, processes: int) -> tuple[str, int, int]:
    return (normalise(stdout), exit_status, processes)


@dataclass
class ConformReport:
    spec: str
    mode: str
    runs: int
    model: set  # keys of the model's outcomes
    model_complete: bool
    observed: Counter = field(default_factory=Counter)
    timed_out: int = 0

    @property
    def forbidden(self) -> list:
        if not self.model_complete:
            return []
        return [k for k in self.observed if k not in self.model]

    @property
    def coverage(self) -> float:
        return len(set(self.observed) & self.model) / len(self.model) if self.model else 1.0


def model_outcomes(spec: Spec, mode: str, props=None, max_states: int | None = None) -> tuple[set, bool]:
    r = run(spec, mode, Options(max_states=max_states), props)
    ex = r.exploration
    outs = {key(*_triple(r.kernel.outcome(ex.states[i]))) for i in ex.finals}
    return outs, ex.stats.complete


def _triple(o) -> tuple[str, int, int]:
    return o.stdout, o.exit_status, o.processes


def conform(spec: Spec, mode: str, runs: int, props=None, timeout: float = 10.0,
            workdir: Path | None = None) -> ConformReport:
    model, complete = model_outcomes(spec, mode, props)
    with tempfile.TemporaryDirectory(prefix="forkspec-") as tmp:
        exe = realrun.compile_spec(Path(spec.path), Path(workdir or tmp))
        report = ConformReport(spec.path, mode, runs, model, complete)
        for obs in realrun.run_many(exe, mode, runs, timeout):
            if obs.timed_out:
                report.timed_out += 1
                continue
            report.observed[key(obs.stdout, obs.exit_status, obs.processes)] += 1
    return report


def render(rep: ConformReport) -> str:
    lines = [f"{rep.spec} [stdout={rep.mode}]: {rep.runs} runs, {len(rep.model)} model outcomes, "
             f"{len(rep.observed)} observed, coverage {rep.coverage:.0%}"
             + ("" if rep.model_complete else " (model search incomplete)")]
    lines.append("  Histogram")
    for k, n in rep.observed.most_common():
        mark = "  " if k in rep.model else "!!"
        lines.append(f"  {n:>6} {mark} stdout={c_string(k[0])}; exit={k[1]}; processes={k[2]};")
    if rep.forbidden:
        lines.append(f"  NEGATIVE DIFFERENCE: {len(rep.forbidden)} observed outcome(s) the model forbids (marked !!)")
    unseen = [k for k in rep.model if k not in rep.observed]
    if unseen:
        lines.append(f"  {len(unseen)} model outcome(s) not observed in these runs")
    if rep.timed_out:
        lines.append(f"  {rep.timed_out} run(s) timed out and were not counted")
    lines.append("  verdict: " + ("DISAGREE" if rep.forbidden else "agree"))
    return "\n".join(lines)


def to_json(rep: ConformReport) -> dict:
    return {
        "spec": rep.spec, "mode": rep.mode, "runs": rep.runs, "model_outcomes": len(rep.model),
        "model_complete": rep.model_complete, "coverage": round(rep.coverage, 4), "timed_out": rep.timed_out,
        "observed": [{"stdout": k[0], "exit_status": k[1], "processes": k[2], "count": n, "allowed": k in rep.model}
                     for k, n in rep.observed.most_common()],
        "forbidden": len(rep.forbidden),
    }
