"""The command line: check, outcomes, trace, properties, conform.

Exit codes: 0 all hold · 1 a violation · 2 bad input · 3 inconclusive.
Every user error is a ForkspecError rendered as `file:line:col: error: ...`.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from forkspec import conform as conformance
from forkspec.engines.result import INCONCLUSIVE, VIOLATED
from forkspec.errors import ForkspecError
from forkspec.frontend import Spec, load_spec
from forkspec.frontend.specblock import MODES
from forkspec.props import library
from forkspec.report import json as jreport
from forkspec.report import text as treport
from forkspec.session import Options, Run, modes_for, run, unknown_violates
from forkspec.trace import rebuild

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
    if engine != "bfs":
        raise ForkspecError(f"engine {engine!r} is not available in this version; use --engine bfs")


def _progress_printer(enabled: bool):
    if not enabled:
        return None

    def show(distinct, generated, queue, depth, seconds):
        rate = distinct / seconds if seconds else 0
        click.echo(f"\r  {generated} generated, {distinct} distinct, queue {queue}, depth {depth}, "
                   f"{rate:,.0f} states/s", err=True, nl=False)

    return show


mode_option = click.option("--stdout", "mode", type=click.Choice(MODES), default=None,
                           help="What stdout is connected to (default: the spec's `modes`, else file).")
max_states_option = click.option("--max-states", type=click.IntRange(1), default=None,
                                 help="Stop after this many distinct states (the verdict is then inconclusive).")
max_depth_option = click.option("--max-depth", type=click.IntRange(1), default=None,
                                help="Do not explore beyond this many steps (bounds loops; inconclusive if hit).")
props_file_option = click.option("--props", "prop_files", multiple=True, type=click.Path(dir_okay=False),
                                 help="An extra property file (TOML) to load.")
no_merge_option = click.option("--no-reduction", "no_merge", is_flag=True,
                               help="Switch off every reduction (local steps merged, init reaping at once): "
                                    "slower, same verdicts.")


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
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report.")
@click.option("--progress/--quiet", default=None, help="Progress on stderr (default: when stderr is a terminal).")
def check(specs, properties, engine, mode, max_states, max_depth, prop_files, no_merge, as_json, progress):
    """Check each spec's assertions, expectations and properties (plus --property ones)."""
    _engine_ok(engine)
    props = library(tuple(Path(p) for p in prop_files))
    loaded = load_all(specs, props)
    opts = Options(properties=tuple(properties), property_files=tuple(Path(p) for p in prop_files),
                   max_states=max_states, max_depth=max_depth, merge_local=not no_merge, eager_reap=not no_merge)
    show = _progress_printer(progress if progress is not None else sys.stderr.isatty())
    runs, reports, failed, inconclusive = [], [], False, False
    for spec in loaded:
        for m in modes_for(spec, mode):
            r = run(spec, m, opts, props, progress=show)
            if show:
                click.echo("\r\033[K", err=True, nl=False)
            runs.append(r)
            bad = [x for x in r.exploration.results if x.verdict != INCONCLUSIVE and not x.passed]
            failed |= bool(bad)
            inconclusive |= any(x.verdict == INCONCLUSIVE for x in r.exploration.results)
            if as_json:
                reports.append(run_json(r))
            else:
                click.echo(render_run(r))
    if as_json:
        click.echo(json.dumps({"passed": not failed and not inconclusive, "runs": reports}, indent=2))
    else:
        total = sum(len(r.exploration.results) for r in runs)
        npass = sum(1 for r in runs for x in r.exploration.results if x.passed)
        click.echo(f"{len(runs)} run(s) of {len(loaded)} spec(s): {npass} of {total} checks as expected"
                   + ("" if not failed else "; some FAILED") + ("; some inconclusive" if inconclusive else ""))
    raise Fail(EXIT_VIOLATION if failed else EXIT_INCONCLUSIVE if inconclusive else EXIT_OK)


def trace_for(r: Run, result):
    if result.witness is None:
        return None
    return rebuild(r.kernel, r.exploration, result.witness)


def render_run(r: Run) -> str:
    lines = [f"{r.spec.path} [stdout={r.mode}]"]
    width = max((len(x.check.name) for x in r.exploration.results), default=10)
    for x in r.exploration.results:
        note = f" ({x.reason})" if x.reason and x.verdict != VIOLATED else ""
        lines.append(f"  {treport.status_tag(x)}  {x.check.name.ljust(width)}  {treport.verdict_word(x)}{note}")
    lines.append(treport.render_stats(r.exploration.stats))
    for x in r.exploration.results:
        if x.verdict == VIOLATED and not x.passed and x.witness is not None:
            t = trace_for(r, x)
            lines.append(treport.render_trace(t, f"  counterexample to {x.check.name} ({len(t)} steps): "
                                                 f"{x.check.description}"))
    return "\n".join(lines)


def run_json(r: Run) -> dict:
    return {
        "spec": r.spec.path, "mode": r.mode, "engine": "bfs",
        "checks": [jreport.check_json(x, trace_for(r, x) if x.verdict == VIOLATED else None)
                   for x in r.exploration.results],
        "stats": jreport.stats_json(r.exploration.stats),
    }


@cli.command()
@click.argument("spec")
@mode_option
@max_states_option
@max_depth_option
@no_merge_option
@click.option("--witness", type=click.IntRange(1), default=None, metavar="N", help="Print a trace reaching outcome N.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report.")
def outcomes(spec, mode, max_states, max_depth, no_merge, witness, as_json):
    """List every reachable final outcome, with how many paths reach it."""
    props = library()
    s = load_spec(spec)
    m = mode or s.header.modes[0]
    r = run(s, m, Options(max_states=max_states, max_depth=max_depth, merge_local=not no_merge, eager_reap=not no_merge, count_paths=True),
            props)
    table = outcome_table(r)
    complete = r.exploration.stats.complete
    if as_json:
        click.echo(json.dumps({
            "spec": s.path, "mode": m, "complete": complete, "states": r.exploration.stats.distinct,
            "paths_exact": r.exploration.paths_exact,
            "outcomes": [{"stdout": o.stdout, "stderr": o.stderr, "exit_status": o.exit_status,
                          "processes": o.processes, "paths": n} for o, n, _ in table],
            "expectations": [{"name": x.check.name, "verdict": x.verdict} for x in r.exploration.results
                             if x.check.origin == "spec"],
            "stuck": r.exploration.stats.deadlocks,
            "stats": jreport.stats_json(r.exploration.stats),
        }, indent=2))
    else:
        click.echo(render_outcomes(r, table))
        if witness is not None:
            if witness > len(table):
                raise ForkspecError(f"--witness {witness}: there are only {len(table)} outcomes")
            from forkspec.engines.result import Witness

            t = rebuild(r.kernel, r.exploration, Witness(table[witness - 1][2]))
            click.echo(treport.render_trace(t, f"witness for outcome {witness} ({len(t)} steps):"))
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
    lines = [f"Test {r.spec.name} (stdout={r.mode})", f"Outcomes {len(table)}"]
    approx = "" if ex.paths_exact else " (at least)"
    for i, (o, n, _) in enumerate(table, start=1):
        extra = f" stderr={treport.c_string(o.stderr)};" if o.stderr else ""
        lines.append(f"  {i:>3}: {n}{approx} path{'s' if n != 1 else ''}  stdout={treport.c_string(o.stdout)};"
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
    lines.append(treport.render_stats(ex.stats))
    return "\n".join(lines)


@cli.command()
@click.argument("spec")
@click.option("--property", "prop", default=None, metavar="NAME", help="The property to refute.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@mode_option
@max_states_option
@max_depth_option
@no_merge_option
def trace(spec, prop, fmt, mode, max_states, max_depth, no_merge):
    """Print the shortest counterexample to PROPERTY, or to the first check that fails."""
    props = library()
    s = load_spec(spec)
    m = mode or s.header.modes[0]
    opts = Options(properties=(prop,) if prop else (), max_states=max_states, max_depth=max_depth,
                   merge_local=not no_merge, eager_reap=not no_merge, stop_at_first=bool(prop))
    if prop:
        # Only the named property: its own shortest counterexample.
        s = Spec(s.path, s.name, s.program, s.header.__class__(modes=s.header.modes, max_procs=s.header.max_procs,
                                                                fork_can_fail=s.header.fork_can_fail,
                                                                inject=s.header.inject))
    r = run(s, m, opts, props)
    results = [x for x in r.exploration.results if x.verdict == VIOLATED and x.witness is not None
               and (prop is None or x.check.name == prop)]
    if not results:
        inconclusive = not r.exploration.stats.complete
        what = prop or "any check"
        msg = f"no counterexample to {what}" + (f" (search incomplete: {r.exploration.stats.cut})" if inconclusive else "")
        if fmt == "json":
            click.echo(json.dumps({"found": False, "complete": not inconclusive, "message": msg}))
        else:
            click.echo(msg)
        raise Fail(EXIT_INCONCLUSIVE if inconclusive else EXIT_VIOLATION)
    traces = [(trace_for(r, x), x) for x in results]
    t, x = min(traces, key=lambda p: len(p[0]))
    if fmt == "json":
        click.echo(json.dumps({"found": True, "spec": s.path, "mode": m, "check": x.check.name,
                               "description": x.check.description, "trace": jreport.trace_json(t)}, indent=2))
    else:
        click.echo(treport.render_trace(t, f"{s.path} [stdout={m}]: counterexample to {x.check.name} "
                                           f"({len(t)} steps)\n  {x.check.description}"))
    raise Fail(EXIT_OK)


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
@click.option("--runs", type=click.IntRange(1), default=200, show_default=True)
@mode_option
@click.option("--json", "as_json", is_flag=True)
def conform(specs, runs, mode, as_json):
    """Run each spec on the real kernel: every observed outcome must be one the model allows."""
    props = library()
    loaded = load_all(specs, props)
    reports = []
    bad = False
    for spec in loaded:
        for m in modes_for(spec, mode):
            rep = conformance.conform(spec, m, runs, props)
            reports.append(rep)
            bad |= bool(rep.forbidden)
            if not as_json:
                click.echo(conformance.render(rep))
    if as_json:
        click.echo(json.dumps([conformance.to_json(r) for r in reports], indent=2))
    raise Fail(EXIT_VIOLATION if bad else EXIT_OK)


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
