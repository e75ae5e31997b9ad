"""Conformance: what the real kernel does must be something the model allows.

A spec is compiled with the machine's C compiler and run many times on the real
kernel, each run shaken a little differently (see `realrun.Perturbation`: pauses at
fork, output, exit and wait points, seeded per run; one CPU or all of them). Each
observed outcome (stdout, exit status of the first process, processes created) is
compared with the model's outcome set, as litmus7 compares a hardware histogram
with a memory model:

* an observation outside the model's set is a *negative difference*: the real
  kernel did something the model says is impossible, so the model is wrong
  (a soundness bug: its verdicts may be false `holds`);
* a model outcome never observed is a *positive difference*: allowed, perhaps just
  rare (or only reachable on another kernel or libc); it is listed, and the share
  of model outcomes observed is the *coverage*.
"""
from __future__ import annotations

import difflib
import re
import tempfile
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from forkspec import realrun
from forkspec.errors import ForkspecError
from forkspec.frontend import Spec, load_spec
from forkspec.report.text import c_string
from forkspec.session import Options, modes_for, run

_POINTER = re.compile(r"0x[0-9a-fA-F]+|\(nil\)")

# The text report lists at most this many never-observed model outcomes (JSON lists all).
UNOBSERVED_SHOWN = 12

AGREE, DISAGREE, INCOMPLETE, NO_RUNS = "agree", "DISAGREE", "incomplete", "no runs"


def normalise(text: str) -> str:
    """Addresses differ between the model and a real run (ASLR): compare them as `<ptr>`."""
    return _POINTER.sub("<ptr>", text)


def key(stdout: str, exit_status: int, processes: int) -> tuple[str, int, int]:
    return (normalise(stdout), exit_status, processes)


_RUN = re.compile(r"(.)\1{15,}", re.S)


def text(s: str) -> str:
    """A C string literal, with every run of 16 or more equal characters written as
    ``"a"*500`` so that long outputs stay readable: ``"x\\n" + "a"*500 + "h0\\n"``."""
    parts, at = [], 0
    for m in _RUN.finditer(s):
        if m.start() > at:
            parts.append(c_string(s[at:m.start()]))
        parts.append(f"{c_string(m.group(1))}*{len(m.group(0))}")
        at = m.end()
    if at < len(s) or not parts:
        parts.append(c_string(s[at:]))
    return " + ".join(parts)


def show(k: tuple[str, int, int]) -> str:
    """An outcome key as the reports print it."""
    return f"stdout={text(k[0])}; exit={k[1]}; processes={k[2]};"


def similarity(a: tuple[str, int, int], b: tuple[str, int, int]) -> float:
    """How alike two outcomes are: difflib's ratio of their stdout, a little less when
    the exit status or the process count differs."""
    r = difflib.SequenceMatcher(None, a[0], b[0], autojunk=False).ratio()
    return r - 0.05 * (a[1] != b[1]) - 0.05 * (a[2] != b[2])


@dataclass
class ConformReport:
    spec: str
    mode: str
    runs: int
    model: set  # keys of the model's outcomes
    model_complete: bool
    observed: Counter = field(default_factory=Counter)
    timed_out: int = 0
    perturbed: bool = False
    seed: int = 0
    # the perturbation of the first run that showed each observed outcome (to replay it)
    first_seen: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)

    @property
    def forbidden(self) -> list:
        """Observed outcomes the model does not allow (negative differences)."""
        if not self.model_complete:
            return []
        return [k for k, _ in self.observed.most_common() if k not in self.model]

    @property
    def unobserved(self) -> list:
        """Model outcomes no run showed (positive differences), in a stable order."""
        return sorted(k for k in self.model if k not in self.observed)

    @property
    def coverage(self) -> float:
        return len(set(self.observed) & self.model) / len(self.model) if self.model else 1.0

    @property
    def counted(self) -> int:
        return sum(self.observed.values())

    @property
    def verdict(self) -> str:
        if self.forbidden:
            return DISAGREE
        if not self.model_complete:
            return INCOMPLETE
        if self.runs and not self.counted:
            return NO_RUNS
        return AGREE

    def closest(self, k: tuple[str, int, int]) -> tuple[tuple[str, int, int] | None, float]:
        """The model outcome most like ``k``, and how alike they are (0..1)."""
        best, score = None, -1.0
        for m in sorted(self.model):
            s = similarity(k, m)
            if s > score:
                best, score = m, s
        return best, max(score, 0.0)


def model_spec(spec: Spec) -> tuple[Spec, list[str]]:
    """The spec whose model the real kernel is compared with: a fault injected to test a
    property (`inject:`) is left out, since the real kernel has no such fault."""
    if not spec.header.inject:
        return spec, []
    note = f"model without the injected fault ({', '.join(spec.header.inject)}): the real kernel has none"
    return replace(spec, header=replace(spec.header, inject=())), [note]


def model_outcomes(spec: Spec, mode: str, props=None, max_states: int | None = None) -> tuple[set, bool]:
    spec, _ = model_spec(spec)
    r = run(spec, mode, Options(max_states=max_states), props)
    ex = r.exploration
    outs = {key(*_triple(r.kernel.outcome(ex.states[i]))) for i in ex.finals}
    return outs, ex.stats.complete


def _triple(o) -> tuple[str, int, int]:
    return o.stdout, o.exit_status, o.processes


def observe(report: ConformReport, observations) -> ConformReport:
    """Add real runs to ``report``."""
    for obs in observations:
        if obs.timed_out:
            report.timed_out += 1
            continue
        k = key(obs.stdout, obs.exit_status, obs.processes)
        report.observed[k] += 1
        report.first_seen.setdefault(k, obs.perturbation)
    return report


def conform(spec: Spec, mode: str, runs: int, props=None, timeout: float = 10.0,
            workdir: Path | None = None, perturb: bool = True, seed: int = 0,
            model: tuple[set, bool] | None = None, exe: Path | None = None,
            max_states: int | None = None) -> ConformReport:
    """Run ``spec`` ``runs`` times with stdout to ``mode`` and compare with the model.

    ``perturb`` shakes the runs (see `realrun.perturbation`); ``seed`` picks the
    series. ``model`` (outcome keys, complete) and ``exe`` (an executable compiled
    from the spec) skip the work already done by the caller; ``max_states`` bounds
    the model's search (beyond it the report is `incomplete`).
    """
    modelled, notes = model_spec(spec)
    outs, complete = model if model is not None else model_outcomes(modelled, mode, props, max_states)
    report = ConformReport(spec.path, mode, runs, outs, complete, perturbed=perturb, seed=seed, notes=list(notes))
    if not complete:
        report.notes.append("the model's search was cut short: observations cannot be judged")
    with tempfile.TemporaryDirectory(prefix="forkspec-") as tmp:
        if exe is None:
            exe = realrun.compile_spec(Path(spec.path), Path(workdir or tmp))
        observe(report, realrun.run_many(exe, mode, runs, timeout, perturb=perturb, seed=seed))
    return report


def conform_source(source: str, name: str, modes, runs: int, workdir: Path, timeout: float = 10.0,
                   perturb: bool = True, seed: int = 0, max_states: int | None = None) -> list[ConformReport]:
    """Conformance of a program given as text (a generated one): it is written to
    ``workdir/name.c``, compiled once and run ``runs`` times in each mode."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / f"{name}.c"
    path.write_text(source, encoding="utf-8")
    spec = load_spec(path)
    exe = realrun.compile_spec(path, workdir)
    return [conform(spec, m, runs, None, timeout, perturb=perturb, seed=seed, exe=exe, max_states=max_states)
            for m in modes]


# --------------------------------------------------------------------------- many specs


class RenderedError(ForkspecError):
    """An error raised in a worker process, carried back as its rendered text."""

    def __init__(self, text: str):
        super().__init__(text)
        self.text = text

    def render(self) -> str:
        return self.text


@dataclass(frozen=True)
class Job:
    path: str
    modes: tuple[str, ...]
    runs: int
    timeout: float = 10.0
    perturb: bool = True
    seed: int = 0
    prop_files: tuple[str, ...] = ()


def run_job(job: Job) -> list[ConformReport] | RenderedError:
    """One spec in each of its modes (compiled once). Errors come back as values, so
    that a pool can carry them."""
    from forkspec.props import library

    try:
        spec = load_spec(job.path)
        props = library(tuple(Path(p) for p in job.prop_files))
        with tempfile.TemporaryDirectory(prefix="forkspec-") as tmp:
            exe = realrun.compile_spec(Path(spec.path), Path(tmp))
            return [conform(spec, m, job.runs, props, job.timeout, perturb=job.perturb, seed=job.seed, exe=exe)
                    for m in job.modes]
    except ForkspecError as e:
        return RenderedError(e.render())


def conform_many(specs: list[Spec], mode: str | tuple[str, ...] | None, runs: int, jobs: int = 1,
                 timeout: float = 10.0, perturb: bool = True, seed: int = 0, prop_files=(),
                 load: int = 0, on_report=None) -> tuple[list[ConformReport], list[RenderedError]]:
    """Every spec in each of its modes (or the given ones), ``jobs`` specs at a time,
    with ``load`` busy-looping processes running meanwhile.

    Reports come back in the order of ``specs``; ``on_report`` is called with each
    finished spec's reports (or its error) in that order, as soon as they and their
    predecessors are done.
    """
    todo = []
    for s in specs:
        modes = mode if isinstance(mode, tuple) else modes_for(s, mode)
        todo.append(Job(s.path, modes, runs, timeout, perturb, seed, tuple(str(p) for p in prop_files)))
    results: list = []
    with realrun.background_load(load):
        if jobs <= 1 or len(todo) <= 1:
            for j in todo:
                results.append(run_job(j))
                if on_report:
                    on_report(results[-1])
        else:
            with ProcessPoolExecutor(max_workers=min(jobs, len(todo))) as pool:
                for res in pool.map(run_job, todo):
                    results.append(res)
                    if on_report:
                        on_report(res)
    reports = [r for res in results if not isinstance(res, RenderedError) for r in res]
    errors = [res for res in results if isinstance(res, RenderedError)]
    return reports, errors


# --------------------------------------------------------------------------- reports


def render(rep: ConformReport) -> str:
    """One spec in one mode, litmus7 style: the histogram, then the differences."""
    how = f"perturbed, seed {rep.seed}" if rep.perturbed else "unperturbed"
    head = f"Test {rep.spec} [stdout={rep.mode}]: {rep.runs} runs ({how})"
    if rep.timed_out:
        head += f", {rep.timed_out} timed out (not counted)"
    lines = [head]
    lines.append(f"Histogram ({len(rep.observed)} outcome{'s' if len(rep.observed) != 1 else ''} observed, "
                 f"{len(rep.model)} allowed by the model)")
    for k, n in rep.observed.most_common():
        mark = "ok" if k in rep.model else ("!!" if rep.model_complete else "??")
        lines.append(f"  {n:>6} {mark} {show(k)}")
    if rep.forbidden:
        lines.append(f"Negative: {len(rep.forbidden)} observed outcome(s) the model forbids (!!): the model is wrong")
        for k in rep.forbidden:
            near, score = rep.closest(k)
            lines.append(f"  observed    {show(k)}")
            seen = rep.first_seen.get(k)
            if seen is not None:
                lines.append(f"    first seen in a run with {seen.describe()}")
            if near is not None:
                lines.append(f"    closest model outcome (similarity {score:.2f}): {show(near)}")
            else:
                lines.append("    the model allows no terminated execution at all")
    unseen = rep.unobserved
    if unseen:
        lines.append(f"Positive: {len(unseen)} model outcome(s) never observed (allowed, maybe rare)")
        for k in unseen[:UNOBSERVED_SHOWN]:
            lines.append(f"          {show(k)}")
        if len(unseen) > UNOBSERVED_SHOWN:
            lines.append(f"          ... and {len(unseen) - UNOBSERVED_SHOWN} more (--json lists them all)")
    for note in rep.notes:
        lines.append(f"Note: {note}")
    lines.append(f"Coverage {len(set(rep.observed) & rep.model)}/{len(rep.model)} model outcomes observed "
                 f"({rep.coverage:.0%})")
    lines.append(f"Verdict: {rep.verdict}")
    return "\n".join(lines)


def table(reports: list[ConformReport]) -> str:
    """One row per spec and mode."""
    header = ("spec", "mode", "runs", "model", "observed", "coverage", "verdict")
    rows = [header]
    for r in reports:
        runs = str(r.counted) + (f"+{r.timed_out}t" if r.timed_out else "")
        rows.append((r.spec, r.mode, runs, str(len(r.model)), str(len(r.observed)), f"{r.coverage:.0%}", r.verdict))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    right = {2, 3, 4, 5}
    out = []
    for row in rows:
        out.append("  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths)))
                   .rstrip())
    return "\n".join(out)


def _outcome_json(k, **extra) -> dict:
    return {"stdout": k[0], "exit_status": k[1], "processes": k[2], **extra}


def to_json(rep: ConformReport) -> dict:
    forbidden = []
    for k in rep.forbidden:
        near, score = rep.closest(k)
        seen = rep.first_seen.get(k)
        forbidden.append(_outcome_json(
            k, count=rep.observed[k],
            closest=_outcome_json(near, similarity=round(score, 4)) if near is not None else None,
            first_seen=None if seen is None else {"seed": seen.seed, "cpus": list(seen.cpus) if seen.cpus else None}))
    return {
        "spec": rep.spec, "mode": rep.mode, "runs": rep.runs, "counted": rep.counted, "timed_out": rep.timed_out,
        "perturbed": rep.perturbed, "seed": rep.seed,
        "model_outcomes": len(rep.model), "model_complete": rep.model_complete,
        "observed_outcomes": len(rep.observed), "coverage": round(rep.coverage, 4), "verdict": rep.verdict,
        "observed": [_outcome_json(k, count=n, allowed=k in rep.model) for k, n in rep.observed.most_common()],
        "forbidden": forbidden,
        "unobserved": [_outcome_json(k) for k in rep.unobserved],
        "notes": list(rep.notes),
    }


def summary(reports: list[ConformReport]) -> dict:
    return {
        "specs": len({r.spec for r in reports}),
        "runs": sum(r.counted for r in reports),
        "timed_out": sum(r.timed_out for r in reports),
        "disagreements": sum(1 for r in reports if r.forbidden),
        "forbidden_outcomes": sum(len(r.forbidden) for r in reports),
        "mean_coverage": round(sum(r.coverage for r in reports) / len(reports), 4) if reports else None,
    }
