"""Glue between a spec and an engine: which checks a run makes, and running them.

A *run* is one spec under one stdout mode. Its checks are the program's own
`assert`s, the spec's expectations for that mode, its named properties, the
properties named on the command line, and deadlock freedom.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field, replace
from pathlib import Path

from forkspec.engines import bfs, deadvars, parallel, por, symmetry
from forkspec.engines.result import Check, Exploration
from forkspec.errors import Span, SpecError, UnsupportedError
from forkspec.frontend import Spec
from forkspec.kernel import Config, Diverged, Kernel, Outcome
from forkspec.props import Property, library, resolve
from forkspec.props.view import STATE_NAMES, state_env


@dataclass(frozen=True)
class Options:
    properties: tuple[str, ...] = ()  # named on the command line: must hold
    property_files: tuple[Path, ...] = ()
    max_states: int | None = None
    max_depth: int | None = None
    merge_local: bool = True
    eager_reap: bool = True
    stop_at_first: bool = False
    count_paths: bool = False
    fork_can_fail: bool | None = None
    max_procs: int | None = None
    symmetry: bool = True  # pid symmetry, where it is sound (see forkspec.engines.symmetry)
    fingerprints: bool = False  # store 64-bit fingerprints instead of states (see forkspec.engines.visited)
    workers: int = 1  # processes exploring the state space (see forkspec.engines.parallel)
    por: bool = True  # partial-order reduction, where it applies (see forkspec.engines.por)
    dead_vars: bool = True  # dead locals stored as 0, where it applies (see forkspec.engines.deadvars)
    merge_woken: bool = True  # with partial-order reduction: a wait an exit settles runs in the exit's step
    sleep_sets: bool = True  # with partial-order reduction: a step that commutes with one explored before sleeps


@dataclass
class Run:
    spec: Spec
    mode: str
    kernel: Kernel
    checks: list[Check]
    exploration: Exploration
    descriptions: dict = field(default_factory=dict)


def config_for(spec: Spec, mode: str, opts: Options) -> Config:
    h = spec.header
    return Config(
        stdout=mode,
        max_procs=opts.max_procs or h.max_procs or Config().max_procs,
        fork_can_fail=h.fork_can_fail if opts.fork_can_fail is None else opts.fork_can_fail,
        inject=frozenset(h.inject),
        merge_local=opts.merge_local,
        eager_reap=opts.eager_reap,
        nondet=h.nondet,
    )


def outcome_env(outcome: Outcome) -> dict:
    return outcome._asdict()


def build_checks(spec: Spec, mode: str, opts: Options, props: dict[str, Property] | None = None) -> list[Check]:
    props = library(opts.property_files) if props is None else props
    h = spec.header
    kernel_outcome = Kernel.outcome
    checks: list[Check] = [
        Check("assert", "step", "every assert() in the program holds in every process that reaches it",
              step_ok=lambda s, a, n: not any(e.kind == "assert_failed" for e in a.events),
              expect_violation="assert" in h.violates, origin="assert"),
    ]
    for e in h.expectations:
        if not e.applies(mode):
            continue
        cond = e.condition
        checks.append(Check(e.name, e.quantifier, f"{e.quantifier} over terminated executions",
                            final=lambda s, cond=cond: cond.evaluate(outcome_env(kernel_outcome(s))),
                            origin="spec", span=e.span, condition=cond))
    wanted: dict[str, bool] = {}  # name -> expect violation
    for n in h.properties:
        wanted[n] = False
    for n in h.violates:
        if n != "assert":
            wanted[n] = True
    for n in opts.properties:
        wanted[n] = False
    wanted.setdefault("no-deadlock", False)
    for prop in resolve(list(wanted), props, lambda n: h.spans.get(n) or h.spans.get("violates:" + n)):
        checks.append(property_check(prop, wanted[prop.name]))
    return checks


def property_check(prop: Property, expect_violation: bool) -> Check:
    if prop.kind == "deadlock":
        return Check(prop.name, "deadlock", prop.description, expect_violation=expect_violation, origin="property")
    cond = prop.condition
    needed = frozenset(_names(cond.tree) & STATE_NAMES)
    if prop.kind == "invariant":
        return Check(prop.name, "invariant", prop.description,
                     state_ok=lambda s: bool(cond.evaluate(state_env(s, needed))),
                     expect_violation=expect_violation, origin="property")

    def step_ok(s, a, n):
        env = dict(state_env(n, needed)) if needed else {}
        env["events"] = a.events
        return bool(cond.evaluate(env))

    return Check(prop.name, "step", prop.description, step_ok=step_ok, expect_violation=expect_violation,
                 origin="property")


def _names(tree) -> set[str]:
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}


def modes_for(spec: Spec, mode: str | None) -> tuple[str, ...]:
    return (mode,) if mode else spec.header.modes


def run(spec: Spec, mode: str, opts: Options = Options(), props: dict[str, Property] | None = None,
        progress=None) -> Run:
    kernel = Kernel(spec.program, config_for(spec, mode, opts))
    props = library(opts.property_files) if props is None else props
    checks = build_checks(spec, mode, opts, props)
    canon, pid_symmetry, notes = plan_reductions(kernel, checks, opts, props)
    reduction, why = None, "off"
    model = kernel  # the kernel searched: with the reduction, one that merges the waits an exit settles
    if opts.por:
        why = "counting paths needs every path" if opts.count_paths else por.refusal(kernel.program, checks, kernel.config)
        if not why:
            if opts.merge_woken:
                model = Kernel(spec.program, kernel.config._replace(merge_woken=True))
            reduction = por.Reduction(model, forks_commute=pid_symmetry is not None,
                                      siblings_alike=pid_symmetry is not None and pid_symmetry.free,
                                      sleep_sets=opts.sleep_sets)
    if opts.workers > 1 and not opts.count_paths:
        exploration, used = _parallel(kernel, model, reduction, checks, canon, opts)
        if not parallel.needs_trace(exploration):
            exploration.reductions = notes + (f"{opts.workers} workers",) + _por_notes(used, kernel, model, why)
            return Run(spec, mode, kernel if used is None else model, checks, exploration)
        notes += ("a sequential search for the shortest counterexample",)
        reduction = por.Reduction(model, reduction.forks_commute, reduction.siblings_alike, opts.sleep_sets) \
            if reduction is not None else None  # its figures start again

    def search(reduction, seconds=None):
        watch = progress
        if seconds is not None:
            def watch(*figures):
                return figures[-1] > seconds or bool(progress and progress(*figures))
        return bfs.explore(
            kernel if reduction is None else model, checks, max_states=opts.max_states, max_depth=opts.max_depth,
            stop_at_first=opts.stop_at_first, count_paths=opts.count_paths, diverged=(Diverged,),
            progress=watch, canon=canon, fingerprints=opts.fingerprints, por=reduction,
        )

    try:
        exploration = reduced = search(reduction)
        if reduction is not None and parallel.needs_trace(exploration):
            exploration, note = _shortest_traces(exploration, search)
            notes += (note,)
    except por.LimitReached as e:
        reduction, why = None, f"{e}; searched again without it"
        exploration = reduced = search(None)
    if reduction is None or exploration is not reduced:
        model = kernel  # the search without the reduction ran in the kernel as it is
    exploration.reductions = notes + _por_notes(reduction, kernel, model, why)
    return Run(spec, mode, model, checks, exploration)


def _por_notes(reduction, kernel: Kernel, model: Kernel, why: str) -> tuple[str, ...]:
    if reduction is None:
        return (f"partial-order reduction off: {why}",)
    notes = (f"partial-order reduction ({reduction.reduced} states with a persistent set)",)
    return notes + (("a wait an exit settles runs within the exit's step",) if model is not kernel else ())


def _parallel(kernel: Kernel, model: Kernel, reduction, checks, canon, opts: Options):
    """The search with `opts.workers` shards, under partial-order reduction where it applies (without
    sleep sets); again without it if the search reaches the process limit. Returns the exploration
    and the reduction it used (None: none, in `kernel`)."""
    def search(model, reduction):
        return parallel.explore(
            model, checks, opts.workers, max_states=opts.max_states, max_depth=opts.max_depth,
            stop_at_first=opts.stop_at_first, diverged=(Diverged,), canon=canon, fingerprints=opts.fingerprints,
            por=reduction)

    if reduction is not None:
        try:
            return search(model, reduction), reduction
        except por.LimitReached:
            pass
    return search(kernel, None), None


SHORTEST_TRACE_SECONDS = 5.0  # at least; or twice the reduced search's time
NOT_SHORTEST = "counterexamples from the reduced search"


def _shortest_traces(reduced: Exploration, search) -> tuple[Exploration, str]:
    """A reduced search's counterexamples are real paths but not always the shortest: search
    again without the reduction, for a bounded time, and keep that search only when it reaches
    the very same verdicts (else the reduced one stands, its traces real if not shortest)."""
    seconds = max(SHORTEST_TRACE_SECONDS, 2 * reduced.stats.seconds)
    full = search(None, seconds)
    if [r.verdict for r in full.results] == [r.verdict for r in reduced.results]:
        return full, "a search without partial-order reduction for the shortest counterexample"
    return reduced, (f"{NOT_SHORTEST}: real paths, perhaps not the shortest "
                     f"(the search without the reduction was stopped after {seconds:.0f} s)")


def run_z3(spec: Spec, mode: str, opts: Options = Options(), props: dict[str, Property] | None = None,
           z3_opts=None, max_alive: bool = False, outcomes: bool = False) -> Run:
    """The same checks decided by the Z3 engine. Its traces are replayed in the kernel without
    merged local steps (the granularity of the encoding), so `Run.kernel` is that kernel."""
    from forkspec.engines import symbolic

    props = library(opts.property_files) if props is None else props
    kernel, checks = _z3_setup(spec, mode, opts, props)
    try:
        exploration = symbolic.explore(kernel, checks, bundled_descriptions(props), z3_opts or symbolic.Options(),
                                       max_alive=max_alive, outcomes=outcomes)
    except symbolic.NotEncoded as e:
        raise unsupported_by_z3(spec, e) from None
    replay_kernel = Kernel(spec.program, kernel.config._replace(merge_local=False))
    return Run(spec, mode, replay_kernel, checks, exploration)


def _z3_setup(spec: Spec, mode: str, opts: Options, props: dict[str, Property]):
    # the encoding has init reap its zombies at once, as the kernel's eager_reap does
    kernel = Kernel(spec.program, config_for(spec, mode, opts)._replace(eager_reap=True))
    return kernel, build_checks(spec, mode, opts, props)


def z3_precheck(spec: Spec, mode: str, opts: Options = Options(), props: dict[str, Property] | None = None) -> None:
    """Raise UnsupportedError if the Z3 engine cannot encode this spec (before any search:
    `--engine both` then writes nothing for it)."""
    from forkspec.engines import symbolic

    props = library(opts.property_files) if props is None else props
    kernel, checks = _z3_setup(spec, mode, opts, props)
    try:
        symbolic.precheck(kernel, checks, bundled_descriptions(props))
    except symbolic.NotEncoded as e:
        raise unsupported_by_z3(spec, e) from None


def unsupported_by_z3(spec: Spec, e) -> UnsupportedError:
    """What the encoding lacks, where the spec uses it, and what to do instead."""
    from forkspec.engines.symbolic import SUPPORTED

    span = spec.header.spans.get(e.header) if e.header else None
    if span is None:
        span = Span(spec.path, e.line or 1, e.col if e.line else 1)
    return UnsupportedError(f"{e.what} is not encoded for --engine z3", span,
                            (f"supported: {SUPPORTED}", "use --engine bfs"))


def bundled_descriptions(props: dict[str, Property]) -> dict[str, str]:
    """Descriptions of the properties that come from the bundled library (not a user's file)."""
    from forkspec.props import LIBRARY_DIR

    return {n: p.description for n, p in props.items() if Path(p.source).resolve().parent == LIBRARY_DIR}

def plan_reductions(kernel: Kernel, checks: list[Check], opts: Options, props: dict[str, Property]):
    """The canonicalising function to search under, the pid symmetry in it (or None), and a note per
    reduction (in force, or why not)."""
    cfg = kernel.config
    notes = []
    if cfg.merge_local:
        notes.append("local steps merged")
    if cfg.eager_reap:
        notes.append("init reaps at once")
    canon = None
    if opts.symmetry:
        texts = {c.name: props[c.name].condition.text for c in checks
                 if c.origin == "property" and c.name in props and props[c.name].condition is not None}
        why = symmetry.refusal(kernel.program, cfg.eager_reap, cfg.inject, texts)
        if why:
            notes.append(f"pid symmetry off: {why}")
        else:
            free = symmetry.siblings_interchangeable(kernel.program, texts)
            canon = symmetry.PidSymmetry(interchangeable_siblings=free)
            notes.append("pid symmetry" + (" (siblings interchangeable)" if free else ""))
    pid_symmetry = canon
    if opts.dead_vars:
        liveness = deadvars.Liveness(kernel.program)
        why = deadvars.refusal(kernel.program, liveness)
        if why:
            notes.append(f"dead-variable reset off: {why}")
        else:
            reset = deadvars.DeadReset(kernel.program, liveness)
            canon = reset if canon is None else deadvars.Then(reset, canon)
            notes.append("dead variables reset")
    return canon, pid_symmetry, tuple(notes)


def unknown_violates(spec: Spec, props: dict[str, Property]) -> None:
    for n in spec.header.violates:
        if n != "assert" and n not in props:
            raise SpecError(f"'violates: {n}' names no property or 'assert'", spec.header.spans.get("violates:" + n))


__all__ = ["Options", "Run", "run", "run_z3", "z3_precheck", "unsupported_by_z3", "build_checks", "modes_for", "replace"]
