"""The command line: check, outcomes, trace, replay, properties, conform.

Exit codes: 0 all hold · 1 a violation · 2 bad input · 3 inconclusive.
Every user error is a ForkspecError rendered as `file:line:col: error: ...`.
"""
from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

import click

from forkspec import conform as conformance
from forkspec.engines.result import INCONCLUSIVE, VIOLATED, Witness
from forkspec.errors import ForkspecError
from forkspec.frontend import Spec, load_spec
from forkspec.frontend.specblock import MODES
from forkspec.props import library
from forkspec.report import c_repro, dot, itf, junit, sarif
from forkspec.report import json as jreport
from forkspec.report import text as treport
from forkspec.engines.symbolic import Options as SymbolicOptions
from forkspec.errors import UnsupportedError
from forkspec.session import NOT_SHORTEST, Options, Run, modes_for, run, run_z3, unknown_violates, z3_precheck
from forkspec.trace import ReplayError, rebuild

EXIT_OK, EXIT_VIOLATION, EXIT_BAD_INPUT, EXIT_INCONCLUSIVE = 0, 1, 2, 3


class Fail(Exception):
    def __init__(self, code: int):
        self.code = code


def collect_specs(paths: tuple[str, ...]) -> list[Path]:
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(q for q in p.rglob("*.c") if q.is_file())
            if not found:
                raise ForkspecError(f"{p}: no .c spec files in this directory")
            out.extend(found)
        elif p.exists():
            out.append(p)
        else:
            raise ForkspecError(f"no such file or directory: {p}")
    return out


def load_all(paths: tuple[str, ...], props) -> list[Spec]:
    specs = [load_spec(p) for p in collect_specs(paths)]
    for s in specs:
        unknown_violates(s, props)
    return specs


def _engine_ok(engine: str) -> None:
    if engine not in ("bfs", "z3", "both"):
        raise ForkspecError(f"unknown engine {engine!r}; engines: bfs, z3, both")


class Progress:
    """Progress lines on stderr while a search runs (TLC-like), and Ctrl-C as a polite stop.

    The engine calls it every few hundred states with its figures; it prints a line
    at most every `interval` seconds (overwritten in place on a terminal) and answers
    whether the user asked to stop. The first Ctrl-C stops the search, which then
    reports what it has as inconclusive; a second one interrupts at once.
    """

    def __init__(self, show: bool, interval: float | None = None):
        self.show = show
        self.tty = sys.stderr.isatty()
        self.interval = interval if interval is not None else (0.5 if self.tty else 5.0)
        self.interrupted = False
        self.label = ""
        self._last = 0.0
        self._dirty = False
        self._previous = None
        self._installed = False

    def __call__(self, distinct, generated, queue, depth, seconds) -> bool:
        if self.show and seconds - self._last >= self.interval:
            self._last = seconds
            self.line(distinct, generated, queue, depth, seconds)
        return self.interrupted

    def line(self, distinct, generated, queue, depth, seconds) -> None:
        rate = distinct / seconds if seconds > 0 else 0.0
        text = (f"Progress({depth}) {seconds:,.1f}s{self.label}: {generated:,} states generated, "
                f"{distinct:,} distinct, {queue:,} on queue, {rate:,.0f} states/s")
        if self.tty:
            click.echo("\r\033[K" + text, err=True, nl=False)
            self._dirty = True
        else:
            click.echo(text, err=True)

    def done(self, stats) -> None:
        """One search is over: on a terminal the line is wiped (the report has the figures);
        elsewhere a last line with the closing figures stays in the log."""
        if self.show and not self.tty:
            self.line(stats.distinct, stats.generated, stats.queued, stats.depth, stats.seconds)
        self.clear()
        self._last = 0.0

    def clear(self) -> None:
        if self._dirty:
            click.echo("\r\033[K", err=True, nl=False)
            self._dirty = False

    def __enter__(self):
        try:
            self._previous = signal.signal(signal.SIGINT, self._on_sigint)
            self._installed = True
        except ValueError:  # not the main thread: no polite stop, Ctrl-C stays KeyboardInterrupt
            self._installed = False
        return self

    def __exit__(self, *exc):
        if self._installed:
            signal.signal(signal.SIGINT, self._previous if self._previous is not None else signal.SIG_DFL)
            self._installed = False
        self.clear()
        return False

    def _on_sigint(self, signum, frame):
        if self.interrupted:
            raise KeyboardInterrupt
        self.interrupted = True
        self.clear()
        click.echo("\ninterrupted: stopping the search (Ctrl-C again to quit at once)", err=True)


def progress_for(flag: bool | None) -> Progress:
    return Progress(flag if flag is not None else sys.stderr.isatty())


mode_option = click.option("--stdout", "mode", type=click.Choice(MODES), default=None,
                           help="What stdout is connected to (default: the spec's `modes`, else file).")
max_states_option = click.option("--max-states", type=click.IntRange(1), default=None,
                                 help="Stop after this many distinct states (the verdict is then inconclusive).")
max_depth_option = click.option("--max-depth", type=click.IntRange(1), default=None,
                                help="Do not explore beyond this many steps (bounds loops; inconclusive if hit).")
props_file_option = click.option("--props", "prop_files", multiple=True, type=click.Path(dir_okay=False),
                                 help="An extra property file (TOML) to load.")
progress_option = click.option("--progress/--quiet", default=None,
                               help="Progress lines on stderr while exploring (default: when stderr is a terminal).")
_no_merge = click.option("--no-reduction", "no_merge", is_flag=True,
                         help="Switch off every reduction (local steps merged, init reaping at once, pid symmetry, "
                              "partial-order reduction with its merged waits and sleep sets, dead-variable reset): "
                              "slower, same verdicts.")
_no_symmetry = click.option("--no-symmetry", is_flag=True,
                            help="Switch off pid symmetry (processes that differ only by pid are one state); it is "
                                 "used only where the program and its checks cannot tell pids apart.")
_fingerprints = click.option("--fingerprints", is_flag=True,
                             help="Store 64-bit fingerprints instead of states (less memory; the probability that a "
                                  "state was missed is printed).")
def _meta_flag(flag: str, help: str):
    """A switch kept in the context's meta (`no_por` for --no-por), read where the run's options are made."""
    key = flag.lstrip("-").replace("-", "_")
    return click.option(flag, is_flag=True, expose_value=False,
                        callback=lambda ctx, param, value: ctx.meta.__setitem__(key, value), help=help)


_no_por = _meta_flag("--no-por", "Switch off partial-order reduction (only a persistent set of processes moves in "
                                 "each state); it is used only where its dependency relation covers the program.")
_no_dead_vars = _meta_flag("--no-dead-vars", "Switch off the dead-variable reset (a local no execution reads again is "
                                             "stored as 0, so states that differ only in it are one); it is used only "
                                             "where no other thread, handler or vfork child shares the stack.")
_no_merge_woken = _meta_flag("--no-merge-woken", "With partial-order reduction, do not run a parent's wait that a "
                                                 "child's exit settles (its oldest child is now a zombie) within the "
                                                 "exit's step.")
_no_sleep_sets = _meta_flag("--no-sleep-sets", "With partial-order reduction, keep no sleep sets (a process whose "
                                               "next step commutes with a step explored before it is not moved "
                                               "again).")
_workers = click.option("--workers", type=click.IntRange(1), default=1, show_default=True,
                        help="Explore with this many processes (states partitioned by hash).")


def no_merge_option(f):
    """The reduction and storage switches every exploring command takes."""
    return _no_merge(_no_symmetry(_no_por(_no_merge_woken(_no_sleep_sets(_no_dead_vars(_fingerprints(_workers(f))))))))


def reductions(no_merge: bool, no_symmetry: bool, fingerprints: bool, workers: int) -> dict:
    """Options fields for the reduction switches."""
    meta = click.get_current_context().meta
    return dict(merge_local=not no_merge, eager_reap=not no_merge, symmetry=not (no_merge or no_symmetry),
                por=not (no_merge or meta.get("no_por", False)),
                dead_vars=not (no_merge or meta.get("no_dead_vars", False)),
                merge_woken=not (no_merge or meta.get("no_merge_woken", False)),
                sleep_sets=not (no_merge or meta.get("no_sleep_sets", False)), fingerprints=fingerprints,
                workers=workers)


def limits_option(f):
    """--fork-can-fail and --max-procs: override the spec's `fork-can-fail:` and `max-procs:`."""
    f = click.option("--max-procs", type=click.IntRange(1), default=None, metavar="N",
                     help="Process limit, as RLIMIT_NPROC (threads count): fork and pthread_create fail "
                          "with EAGAIN beyond it (default: the spec's `max-procs`, else 32).")(f)
    return click.option("--fork-can-fail/--fork-cannot-fail", "fork_can_fail", default=None,
                        help="Let every fork also fail with -1/EAGAIN (default: the spec's `fork-can-fail`).")(f)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="forkspec")
def cli():
    """forkspec: every interleaving of a forking C program, proved or refuted."""


@cli.command()
@click.argument("specs", nargs=-1, required=True)
@click.option("--property", "properties", multiple=True, metavar="NAME", help="A property that must hold (repeatable).")
@click.option("--engine", type=click.Choice(["bfs", "z3", "both"]), default="bfs", show_default=True)
@mode_option
@max_states_option
@max_depth_option
@props_file_option
@no_merge_option
@limits_option
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report.")
@click.option("--bound", type=click.IntRange(1), default=200, show_default=True,
              help="z3: the most steps to unroll while looking for the completeness threshold.")
@click.option("--z3-timeout", type=click.FloatRange(0.1), default=120.0, show_default=True, metavar="SECONDS",
              help="z3: time limit of one solver query (an unknown answer is inconclusive).")
@click.option("--max-alive", is_flag=True,
              help="z3: also report the largest number of processes alive at once (Z3's optimiser).")
@click.option("--junit-xml", "junit_file", type=click.Path(dir_okay=False, writable=True), default=None,
              metavar="FILE", help="Also write a JUnit XML report (one test case per check).")
@click.option("--sarif", "sarif_file", type=click.Path(dir_okay=False, writable=True), default=None,
              metavar="FILE", help="Also write a SARIF 2.1.0 log (for code scanning).")
@progress_option
def check(specs, properties, engine, mode, max_states, max_depth, prop_files, no_merge, no_symmetry, fingerprints,
          workers, fork_can_fail, max_procs, as_json, bound, z3_timeout, max_alive, junit_file, sarif_file, progress):
    """Check each spec's assertions, expectations and properties (plus --property ones).

    Exit 0 if every check comes out as expected, 1 if one does not (its shortest
    trace is printed), 2 on bad input, 3 if a search was cut short (a limit, Ctrl-C).
    """
    _engine_ok(engine)
    props = library(tuple(Path(p) for p in prop_files))
    loaded = load_all(specs, props)
    opts = Options(properties=tuple(properties), property_files=tuple(Path(p) for p in prop_files),
                   max_states=max_states, max_depth=max_depth, fork_can_fail=fork_can_fail, max_procs=max_procs,
                   **reductions(no_merge, no_symmetry, fingerprints, workers))
    runs, reports, failed, inconclusive, errors = [], [], False, False, []
    with progress_for(progress) as show:
        for spec in loaded:
            for m in modes_for(spec, mode):
                show.label = f" {spec.path} [{m}]"
                these = []
                try:  # a construct the Z3 engine lacks is bad input for it: an error, never a verdict
                    if engine == "both":
                        z3_precheck(spec, m, opts, props)
                    if engine in ("bfs", "both"):
                        r = run(spec, m, opts, props, progress=show)
                        show.done(r.exploration.stats)
                        these.append(r)
                    if engine in ("z3", "both"):
                        these.append(run_z3(spec, m, opts, props, SymbolicOptions(max_bound=bound,
                                            timeout_ms=int(z3_timeout * 1000)), max_alive=max_alive))
                except UnsupportedError as e:
                    click.echo(e.render(), err=True)
                    errors.append(e.render())
                    break  # the other modes of this spec would say the same
                for r in these:
                    runs.append(r)
                    bad = [x for x in r.exploration.results if x.verdict != INCONCLUSIVE and not x.passed]
                    failed |= bool(bad)
                    inconclusive |= any(x.verdict == INCONCLUSIVE for x in r.exploration.results)
                disagree = disagreements(these) if len(these) == 2 else []
                failed |= bool(disagree)
                if as_json:
                    reports.extend(run_json(r) for r in these)
                    if len(these) == 2:
                        reports[-1]["disagreements"] = disagree
                else:
                    for r in these:
                        click.echo(render_run(r))
                    if len(these) == 2:
                        click.echo(render_comparison(these, disagree))
                if show.interrupted:
                    break
            if show.interrupted:
                break
    interrupted = show.interrupted
    if junit_file:
        _write(junit_file, junit.render(runs, trace_for))
    if sarif_file:
        from forkspec import __version__

        _write(sarif_file, json.dumps(sarif.render(runs, trace_for, __version__), indent=2) + "\n")
    if as_json:
        out = {"passed": not failed and not inconclusive and not interrupted and not errors,
               "interrupted": interrupted, "runs": reports}
        if errors:
            out["errors"] = errors
        click.echo(json.dumps(out, indent=2))
    else:
        click.echo(summary_line(runs, len(loaded), failed, inconclusive, interrupted)
                   + (f"\n{len(errors)} spec(s) not checked: unsupported by --engine {engine}" if errors else ""))
    raise Fail(EXIT_BAD_INPUT if errors else EXIT_VIOLATION if failed
               else EXIT_INCONCLUSIVE if inconclusive or interrupted else EXIT_OK)


def disagreements(pair: list[Run]) -> list[str]:
    """Checks one engine decided one way and the other the other way (inconclusive decides nothing)."""
    a, b = pair
    out = []
    for x, y in zip(a.exploration.results, b.exploration.results):
        if INCONCLUSIVE not in (x.verdict, y.verdict) and x.verdict != y.verdict:
            out.append(x.check.name)
    return out


def render_comparison(pair: list[Run], disagree: list[str]) -> str:
    a, b = pair
    line = (f"  engines: bfs {a.exploration.stats.seconds:.2f} s, z3 {b.exploration.stats.seconds:.2f} s; "
            + ("agree on every check both decided" if not disagree else "DISAGREE on " + ", ".join(disagree)))
    return line


def summary_line(runs, nspecs: int, failed: bool, inconclusive: bool, interrupted: bool) -> str:
    total = sum(len(r.exploration.results) for r in runs)
    npass = sum(1 for r in runs for x in r.exploration.results if x.passed)
    gen = sum(r.exploration.stats.generated for r in runs)
    distinct = sum(r.exploration.stats.distinct for r in runs)
    secs = sum(r.exploration.stats.seconds for r in runs)
    rate = distinct / secs if secs > 0 else 0.0
    line = (f"{len(runs)} run(s) of {nspecs} spec(s): {npass} of {total} checks as expected"
            + ("" if not failed else "; some FAILED") + ("; some inconclusive" if inconclusive else ""))
    line += f"\n{gen:,} states generated, {distinct:,} distinct, {secs:.2f} s ({rate:,.0f} states/s)"
    if interrupted:
        line += "\ninterrupted: the verdicts not yet reached are inconclusive"
    return line


def _write(path: str, text: str) -> None:
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as e:
        raise ForkspecError(f"cannot write {path}: {e.strerror or e}") from None


def trace_for(r: Run, result):
    if result.witness is None:
        return None
    return rebuild(r.kernel, r.exploration, result.witness)


def render_run(r: Run) -> str:
    engine = r.exploration.stats.engine
    lines = [f"{r.spec.path} [stdout={r.mode}]" + (f" (engine {engine})" if engine != "bfs" else "")]
    width = max((len(x.check.name) for x in r.exploration.results), default=10)
    for x in r.exploration.results:
        note = f" ({x.reason})" if x.reason and x.verdict != VIOLATED else ""
        lines.append(f"  {treport.status_tag(x)}  {x.check.name.ljust(width)}  {treport.verdict_word(x)}{note}")
    lines.append(treport.render_stats(r.exploration.stats) if engine == "bfs" else render_z3_stats(r.exploration.stats))
    for x in r.exploration.results:
        if x.verdict == VIOLATED and not x.passed and x.witness is not None:
            t = trace_for(r, x)
            lines.append(treport.render_trace(t, f"  counterexample to {x.check.name} ({treport.steps(len(t))}"
                                                 f"{maybe_not_shortest(r)}):",
                                              treport.conclusion(x.check, t), r.spec.program))
    return "\n".join(lines)


def maybe_not_shortest(r: Run) -> str:
    """Said in a trace's title when it comes from a reduced search (see `session._shortest_traces`)."""
    cut = any(n.startswith(NOT_SHORTEST) for n in r.exploration.reductions)
    return "; a real path, perhaps not the shortest: the search without partial-order reduction ran out of time" \
        if cut else ""


def render_z3_stats(s) -> str:
    f = s.solver
    if f.threshold is not None and f.proof == "recurrence":
        head = (f"  z3: every state is reached within {f.threshold - 1} steps (no execution of {f.threshold} steps "
                "without a repeated state: the bound covers every state)")
    elif f.threshold is not None:
        head = f"  z3: longest execution {f.threshold} steps (the bound covers every execution)"
    elif f.induction:
        head = (f"  z3: unrolled {f.bound} steps (no completeness threshold), {len(f.induction)} check(s) proved by k-induction "
                f"(k = {', '.join(str(k) for k in sorted(set(f.induction.values())))})")
    else:
        head = f"  z3: unrolled {f.bound} steps"
    line = (f"{head}, {f.slots} process slots, {f.queries} queries, {f.solver_seconds:.2f} s in the solver, "
            f"{s.seconds:.2f} s in all")
    if f.outcomes is not None:
        line += f", {f.outcomes} outcomes"
    if "max_alive" in f.statistics:
        line += f"\n  z3: at most {f.statistics['max_alive']} processes alive at once"
    if not s.complete:
        line += f"\n  search incomplete: {s.cut}"
    return line


def z3_json(s) -> dict:
    f = s.solver
    return {"bound": f.bound, "threshold": f.threshold, "proof": s.complete,
            "proved_by": f.proof if s.complete else None, "slots": f.slots,
            "induction": [{"check": name, "proof": "k-induction", "k": k} for name, k in f.induction.items()],
            "outcomes": f.outcomes, "queries": f.queries, "solver_seconds": round(f.solver_seconds, 4),
            "max_alive": f.statistics.get("max_alive"),
            "statistics": {k: v for k, v in f.statistics.items() if k != "max_alive"}}


def run_json(r: Run) -> dict:
    s = r.exploration.stats
    out = {
        "spec": r.spec.path, "mode": r.mode, "engine": s.engine,
        "checks": [jreport.check_json(x, trace_for(r, x) if x.verdict == VIOLATED else None)
                   for x in r.exploration.results],
        "stats": jreport.stats_json(s),
        "reductions": list(r.exploration.reductions),
    }
    if s.engine == "z3":
        out["z3"] = z3_json(s)
    return out


@cli.command()
@click.argument("spec")
@mode_option
@max_states_option
@max_depth_option
@no_merge_option
@limits_option
@click.option("--witness", type=click.IntRange(1), default=None, metavar="N", help="Print a trace reaching outcome N.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report.")
@click.option("--engine", type=click.Choice(["bfs", "z3"]), default="bfs", show_default=True,
              help="z3: every outcome enumerated by blocking clauses (no path counts).")
@click.option("--bound", type=click.IntRange(1), default=200, show_default=True,
              help="z3: the most steps to unroll while looking for the completeness threshold.")
@click.option("--z3-timeout", type=click.FloatRange(0.1), default=120.0, show_default=True, metavar="SECONDS",
              help="z3: time limit of one solver query (an unknown answer is inconclusive).")
@progress_option
def outcomes(spec, mode, max_states, max_depth, no_merge, no_symmetry, fingerprints, workers, fork_can_fail,
             max_procs, witness, as_json, engine, bound, z3_timeout, progress):
    """List every reachable final outcome, with how many paths reach it."""
    props = library()
    s = load_spec(spec)
    m = mode or s.header.modes[0]
    opts = Options(max_states=max_states, max_depth=max_depth, count_paths=True, fork_can_fail=fork_can_fail,
                   max_procs=max_procs, **reductions(no_merge, no_symmetry, fingerprints, workers))
    with progress_for(progress) as show:
        if engine == "z3":
            r = run_z3(s, m, opts, props, SymbolicOptions(max_bound=bound, timeout_ms=int(z3_timeout * 1000)),
                       outcomes=True)
        else:
            r = run(s, m, opts, props, progress=show)
            show.done(r.exploration.stats)
    table = outcome_table(r)
    complete = r.exploration.stats.complete
    if witness is not None and witness > len(table):
        raise ForkspecError(f"--witness {witness}: there are only {len(table)} outcomes")
    if as_json:
        rows = []
        for i, (o, n, sid) in enumerate(table, start=1):
            row = {"stdout": o.stdout, "stderr": o.stderr, "exit_status": o.exit_status, "processes": o.processes}
            if engine == "bfs":
                row.update(paths=n, paths_exact=r.exploration.paths_exact)
            if witness == i:
                row["witness"] = jreport.trace_json(rebuild(r.kernel, r.exploration, Witness(sid)))
            rows.append(row)
        click.echo(json.dumps({
            "spec": s.path, "mode": m, "complete": complete, "states": r.exploration.stats.distinct,
            "paths_exact": r.exploration.paths_exact,
            "outcomes": rows,
            "expectations": [{"name": x.check.name, "verdict": x.verdict} for x in r.exploration.results
                             if x.check.origin == "spec"],
            "stuck": r.exploration.stats.deadlocks,
            "stats": jreport.stats_json(r.exploration.stats),
            **({"engine": "z3", "z3": z3_json(r.exploration.stats)} if engine == "z3" else {}),
        }, indent=2))
    else:
        click.echo(render_outcomes(r, table))
        if witness is not None:
            t = rebuild(r.kernel, r.exploration, Witness(table[witness - 1][2]))
            click.echo(treport.render_trace(t, f"witness for outcome {witness} ({treport.steps(len(t))}):",
                                            program=r.spec.program))
    raise Fail(EXIT_OK if complete else EXIT_INCONCLUSIVE)


def outcome_table(r: Run) -> list:
    """(outcome, paths reaching it, a witness state id), in order of discovery."""
    ex = r.exploration
    rows: dict = {}
    for sid in ex.finals:
        o = r.kernel.outcome(ex.states[sid])
        n = ex.paths[sid] if ex.paths else 1
        if o in rows:
            rows[o][0] += n
        else:
            rows[o] = [n, sid]
    return [(o, v[0], v[1]) for o, v in rows.items()]


def render_outcomes(r: Run, table) -> str:
    ex = r.exploration
    z3 = getattr(ex.stats, "engine", "bfs") == "z3"
    lines = [f"Test {r.spec.name} (stdout={r.mode})" + (" (engine z3)" if z3 else ""), f"Outcomes {len(table)}"]
    approx = "" if ex.paths_exact else " (at least)"
    for i, (o, n, _) in enumerate(table, start=1):
        extra = f" stderr={treport.c_string(o.stderr)};" if o.stderr else ""
        count = "" if z3 else f"{n}{approx} path{'s' if n != 1 else ''}  "
        lines.append(f"  {i:>3}: {count}stdout={treport.c_string(o.stdout)};"
                     f"{extra} exit={o.exit_status}; processes={o.processes};")
    specs = [x for x in ex.results if x.check.origin == "spec"]
    if specs:
        lines.append("Expectations")
        for x in specs:
            q = x.check.kind
            if x.verdict == INCONCLUSIVE:
                word = "inconclusive"
            elif q == "forall":
                word = "Ok, holds in every outcome" if x.verdict != VIOLATED else "No, an outcome violates it"
            elif q == "exists":
                word = "Ok, reachable" if x.verdict != VIOLATED else "No, unreachable"
            else:
                word = "Ok, unreachable" if x.verdict != VIOLATED else "No, reachable"
            lines.append(f"  {x.check.name}: {word}")
    if ex.stats.deadlocks:
        lines.append(f"Stuck states: {ex.stats.deadlocks} (see `forkspec check`)")
    lines.append(render_z3_stats(ex.stats) if z3 else treport.render_stats(ex.stats))
    return "\n".join(lines)


TRACE_FORMATS = ("text", "json", "c", "dot", "svg")


@cli.command()
@click.argument("spec")
@click.option("--property", "prop", default=None, metavar="NAME", help="The property to refute.")
@click.option("--format", "fmt", type=click.Choice(TRACE_FORMATS), default="text", show_default=True,
              help="text; json (ITF, as Apalache and Quint write it); c (a program that forces the trace on the "
                   "real kernel); dot or svg (the process tree).")
@click.option("--output", "-o", "output", type=click.Path(dir_okay=False, writable=True), default=None,
              metavar="FILE", help="Write the trace to FILE instead of stdout.")
@mode_option
@max_states_option
@max_depth_option
@no_merge_option
@limits_option
@progress_option
def trace(spec, prop, fmt, output, mode, max_states, max_depth, no_merge, no_symmetry, fingerprints, workers,
          fork_can_fail, max_procs, progress):
    """Print the shortest counterexample to PROPERTY, or to the first check that fails.

    Exit 0 if one is found, 1 if there is none, 2 on bad input, 3 if the search was cut short.
    """
    props = library()
    s = load_spec(spec)
    if fmt == "svg" and dot.graphviz() is None:
        raise dot.GraphvizMissing("--format svg needs Graphviz's `dot` program, which is not installed "
                                  "(e.g. `apt-get install graphviz`); --format dot gives the graph's text")
    opts = Options(properties=(prop,) if prop else (), max_states=max_states, max_depth=max_depth,
                   stop_at_first=bool(prop), fork_can_fail=fork_can_fail, max_procs=max_procs,
                   **reductions(no_merge, no_symmetry, fingerprints, workers))
    if prop:
        # Only the named property: its own shortest counterexample.
        s = Spec(s.path, s.name, s.program, s.header.__class__(modes=s.header.modes, max_procs=s.header.max_procs,
                                                                fork_can_fail=s.header.fork_can_fail,
                                                                inject=s.header.inject))
    found, cut = None, ""
    with progress_for(progress) as show:
        for m in modes_for(s, mode):
            r = run(s, m, opts, props, progress=show)
            show.done(r.exploration.stats)
            results = [x for x in r.exploration.results if x.verdict == VIOLATED and x.witness is not None
                       and (prop is None or x.check.name == prop)]
            if results:
                t, x = min(((trace_for(r, x), x) for x in results), key=lambda p: len(p[0]))
                found = (r, m, t, x)
                break
            if not r.exploration.stats.complete:
                cut = cut or r.exploration.stats.cut
            if show.interrupted:
                break
    if found is None:
        what = prop or "any check"
        msg = f"no counterexample to {what}" + (f" (search incomplete: {cut})" if cut else "")
        if fmt == "json":
            click.echo(json.dumps({"found": False, "complete": not cut, "message": msg}))
        else:
            click.echo(msg)
        raise Fail(EXIT_INCONCLUSIVE if cut else EXIT_VIOLATION)
    r, m, t, x = found
    title = f"{s.path} [stdout={m}]: counterexample to {x.check.name} ({treport.steps(len(t))}{maybe_not_shortest(r)})"
    if fmt == "json":
        text = itf.dumps(itf.to_itf(t, spec=s, mode=m, config=r.kernel.config, check=x.check)) + "\n"
    elif fmt == "c":
        text = c_repro.reproducer(t, spec=s, mode=m, config=r.kernel.config, check=x.check)
    elif fmt in ("dot", "svg"):
        text = dot.to_dot(t, title, s.program)
        if fmt == "svg":
            text = dot.to_svg(text)
    else:
        text = treport.render_trace(t, title, treport.conclusion(x.check, t), s.program) + "\n"
    if output:
        _write(output, text)
        click.echo(f"{title}: written to {output}", err=True)
    else:
        click.echo(text, nl=False)
    raise Fail(EXIT_OK)


@cli.command()
@click.argument("trace_file", metavar="TRACE.itf.json")
@click.argument("spec")
def replay(trace_file, spec):
    """Re-run a saved trace (`trace --format json`) through the model of SPEC.

    Exit 0 if the model still produces every step (and, for a counterexample, still
    fails at the end); 1 naming the first step that differs and what the model offers
    instead; 2 on bad input.
    """
    obj = itf.load(trace_file)
    s = load_spec(spec)
    meta = obj["#meta"]
    try:
        rep = itf.replay(obj, s, library(), trace_file)
    except ReplayError as e:
        click.echo(f"{trace_file}: does NOT replay on {s.path} [stdout={meta['mode']}]: {e}")
        raise Fail(EXIT_VIOLATION)
    n = len(rep.trace)
    note = " (the spec has changed since the trace was recorded)" if rep.source_changed else ""
    head = f"{trace_file}: replays on {s.path} [stdout={meta['mode']}]: all {n} step(s) as recorded{note}"
    if rep.check is None:
        click.echo(head)
        raise Fail(EXIT_OK)
    if rep.still_fails:
        click.echo(f"{head}; still a counterexample: {treport.conclusion(rep.check, rep.trace)}")
        raise Fail(EXIT_OK)
    click.echo(f"{head}, but the end no longer fails {rep.check.name}")
    raise Fail(EXIT_VIOLATION)


@cli.command()
@props_file_option
@click.option("--json", "as_json", is_flag=True)
def properties(prop_files, as_json):
    """List the property library."""
    props = library(tuple(Path(p) for p in prop_files))
    if as_json:
        click.echo(json.dumps([{"name": p.name, "kind": p.kind, "description": p.description,
                                "holds": p.condition.text if p.condition else None} for p in props.values()],
                              indent=2))
    else:
        width = max(len(n) for n in props)
        for p in props.values():
            click.echo(f"{p.name.ljust(width)}  {p.description}")
    raise Fail(EXIT_OK)


@cli.command()
@click.argument("specs", nargs=-1, required=True)
@click.option("--runs", type=click.IntRange(1), default=200, show_default=True,
              help="Real runs per spec and stdout mode.")
@click.option("--stdout", "modes", type=click.Choice(MODES), multiple=True,
              help="What stdout is connected to; repeat for several (default: the spec's `modes`, else file).")
@click.option("--jobs", "-j", type=click.IntRange(1), default=1, show_default=True,
              help="Specs run in parallel (a process pool).")
@click.option("--timeout", type=click.FloatRange(0.1), default=10.0, show_default=True,
              help="Seconds a run may take before all its processes are killed (the run is not counted).")
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True,
              help="Seed of the series of timing perturbations.")
@click.option("--no-perturb", is_flag=True,
              help="Plain runs: no pauses at fork, output, exit and wait points, no CPU pinning.")
@click.option("--load", type=click.IntRange(0), default=0, show_default=True,
              help="Busy-looping background processes to run meanwhile.")
@props_file_option
@click.option("--json", "as_json", is_flag=True)
def conform(specs, runs, modes, jobs, timeout, seed, no_perturb, load, prop_files, as_json):
    """Run each spec on the real kernel: every observed outcome must be one the model allows.

    Exit 0 if every observation is allowed, 1 if one is not (a negative difference:
    the model is wrong), 2 on bad input (including a spec the compiler rejects).
    """
    props = library(tuple(Path(p) for p in prop_files))
    loaded = load_all(specs, props)
    mode = tuple(dict.fromkeys(modes)) if modes else None

    def shown(result):
        if isinstance(result, conformance.RenderedError):
            click.echo(result.render(), err=True)
        elif not as_json:
            for rep in result:
                click.echo(conformance.render(rep) + "\n")

    reports, errors = conformance.conform_many(
        loaded, mode, runs, jobs=jobs, timeout=timeout, perturb=not no_perturb, seed=seed, load=load,
        prop_files=prop_files, on_report=shown)
    bad = any(r.forbidden for r in reports)
    totals = conformance.summary(reports)
    if as_json:
        click.echo(json.dumps({"reports": [conformance.to_json(r) for r in reports],
                               "errors": [e.render() for e in errors], "summary": totals}, indent=2))
    elif reports:
        click.echo(conformance.table(reports))
        cov = totals["mean_coverage"]
        click.echo(f"{totals['runs']} runs of {totals['specs']} spec(s): {totals['disagreements']} disagreement(s), "
                   f"mean coverage {cov:.0%}" + (f", {totals['timed_out']} timed out" if totals["timed_out"] else ""))
    raise Fail(EXIT_VIOLATION if bad else EXIT_BAD_INPUT if errors else EXIT_OK)


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except Fail as f:
        sys.exit(f.code)
    except ForkspecError as e:
        click.echo(e.render(), err=True)
        sys.exit(EXIT_BAD_INPUT)
    except click.exceptions.Abort:
        click.echo("interrupted", err=True)
        sys.exit(EXIT_INCONCLUSIVE)
    except click.ClickException as e:
        e.show()
        sys.exit(EXIT_BAD_INPUT)
    except KeyboardInterrupt:
        click.echo("\ninterrupted: verdict inconclusive", err=True)
        sys.exit(EXIT_INCONCLUSIVE)
    except RecursionError:
        click.echo("forkspec: error: the program is too deeply nested to analyse", err=True)
        sys.exit(EXIT_BAD_INPUT)
    except Exception as e:  # an internal error: say so plainly, no traceback unless asked
        if os.environ.get("FORKSPEC_DEBUG"):
            raise
        click.echo(f"forkspec: internal error: {type(e).__name__}: {e} (set FORKSPEC_DEBUG=1 for details)", err=True)
        sys.exit(4)
