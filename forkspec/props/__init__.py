"""The property library: named invariants over states and steps.

Properties live in TOML files (`properties/*.toml` in the repository, plus any
file a user names). Each table is one property:

    [all-reaped]
    description = "every process waits for all its children"
    kind = "invariant"        # invariant: every reachable state; step: every transition
    holds = "all(p.first or p.ppid != 1 for p in processes)"

`kind = "deadlock"` is the engine's own check that no reachable state is stuck.
Conditions use the language of `props.lang`, over the views in `props.view`.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from forkspec.errors import PropertyError, Span
from forkspec.kernel.events import EVENT_ATTRIBUTES
from forkspec.props.lang import Condition, compile_condition
from forkspec.props.view import FRAME_ATTRIBUTES, PROC_ATTRIBUTES, STATE_NAMES

KINDS = ("invariant", "step", "deadlock")
LIBRARY_DIR = Path(__file__).resolve().parent.parent.parent / "properties"


@dataclass(frozen=True)
class Property:
    name: str
    description: str
    kind: str
    condition: Condition | None
    source: str


def load_file(path: Path) -> dict[str, Property]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PropertyError(f"no such property file: {path}") from None
    except tomllib.TOMLDecodeError as e:
        raise PropertyError(f"cannot read property file: {e}", Span(str(path), 1, 1)) from None
    out: dict[str, Property] = {}
    for name, table in data.items():
        span = Span(str(path), _line_of(path, name), 1)
        if not isinstance(table, dict):
            raise PropertyError(f"property {name!r} must be a table", span)
        kind = table.get("kind", "invariant")
        if kind not in KINDS:
            raise PropertyError(f"property {name!r} has unknown kind {kind!r}; kinds: {', '.join(KINDS)}", span)
        desc = table.get("description", "")
        if not desc:
            raise PropertyError(f"property {name!r} needs a one-line description", span)
        cond = None
        if kind != "deadlock":
            text = table.get("holds")
            if not isinstance(text, str):
                raise PropertyError(f"property {name!r} needs a 'holds' condition", span)
            names = STATE_NAMES | ({"events"} if kind == "step" else set())
            attrs = PROC_ATTRIBUTES | FRAME_ATTRIBUTES | (EVENT_ATTRIBUTES if kind == "step" else frozenset())
            cond = compile_condition(text, frozenset(names), span, frozenset(attrs))
        out[name] = Property(name, desc, kind, cond, str(path))
    return out


def _line_of(path: Path, name: str) -> int:
    try:
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.strip() in (f"[{name}]", f'["{name}"]'):
                return i
    except OSError:
        pass
    return 1


def library(extra: tuple[Path, ...] = ()) -> dict[str, Property]:
    """Every property: the bundled catalogue, then the user's files (which may override)."""
    props: dict[str, Property] = {}
    files = sorted(LIBRARY_DIR.glob("*.toml")) if LIBRARY_DIR.is_dir() else []
    if not files:
        raise PropertyError(f"the property library is missing (looked in {LIBRARY_DIR})")
    for f in list(files) + [Path(p) for p in extra]:
        props.update(load_file(Path(f)))
    return props


def resolve(names, props: dict[str, Property], span_of=lambda n: None) -> list[Property]:
    out = []
    for n in names:
        if n not in props:
            import difflib

            near = difflib.get_close_matches(n, list(props), n=1)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            raise PropertyError(f"unknown property {n!r}{hint} (see `forkspec properties`)", span_of(n))
        out.append(props[n])
    return out
