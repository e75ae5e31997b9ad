"""The `/*@forkspec ... */` block: what a spec expects of its program.

One directive per line:

    description: text
    modes: file tty pipe
    forall [file,pipe] <condition>     every terminated execution satisfies it
    exists <condition>                 some terminated execution satisfies it
    ~exists <condition>                no terminated execution satisfies it
    properties: all-reaped pid-unique  named properties that must hold
    violates: all-reaped assert        checks the program is expected to violate
    max-procs: 32                      process limit (fork fails with EAGAIN beyond it)
    fork-can-fail: yes                 every fork may also fail with EAGAIN
    inject: no-cow                     run on a deliberately broken kernel (property tests)
    input: 0..6                        nondet_int() returns any value in this range (each a branch)
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from forkspec.errors import Span, SpecError
from forkspec.props.lang import Condition, compile_condition

MODES = ("tty", "file", "pipe")
OUTCOME_NAMES = frozenset({"stdout", "stderr", "exit_status", "processes"})
QUANTIFIERS = ("forall", "exists", "~exists")
INJECTIONS = ("no-cow", "pid-reuse", "no-reparent")


@dataclass(frozen=True)
class Expectation:
    quantifier: str  # forall | exists | ~exists
    condition: Condition
    modes: tuple[str, ...] | None  # None: every mode
    span: Span

    @property
    def name(self) -> str:
        return f"{self.quantifier} {self.condition.text}"

    def applies(self, mode: str) -> bool:
        return self.modes is None or mode in self.modes


@dataclass(frozen=True)
class SpecHeader:
    description: str = ""
    modes: tuple[str, ...] = ("file",)
    expectations: tuple[Expectation, ...] = ()
    properties: tuple[str, ...] = ()
    violates: tuple[str, ...] = ()
    max_procs: int | None = None
    fork_can_fail: bool = False
    inject: tuple[str, ...] = ()
    nondet: tuple[int, int] | None = None  # the range of nondet_int(), from `input: LO..HI`
    spans: dict = field(default_factory=dict, compare=False)


_LINE = re.compile(r"^(~exists|forall|exists)\s*(\[[^\]]*\])?\s*(.+)$")


def parse_spec_block(text: str | None, path: str, first_line: int) -> SpecHeader:
    if text is None:
        return SpecHeader()
    fields: dict = {"expectations": [], "properties": [], "violates": [], "inject": []}
    spans: dict[str, Span] = {}
    for offset, raw in enumerate(text.split("\n")):
        line = raw.strip()
        if line.startswith("*"):
            line = line[1:].strip()
        if not line or line.startswith("#"):
            continue
        span = Span(path, first_line + offset, raw.find(line[:1]) + 1 if line else 1)
        m = _LINE.match(line)
        if m:
            fields["expectations"].append(_expectation(m, span))
            continue
        key, sep, value = line.partition(":")
        key, value = key.strip().lower(), _strip_comment(value.strip())
        if not sep:
            raise SpecError(
                f"cannot read spec line {line!r}",
                span,
                ("expected 'forall|exists|~exists <condition>' or 'key: value' "
                 "(description, modes, properties, violates, max-procs, fork-can-fail, inject, input)",),
            )
        if key == "description":
            fields["description"] = value
        elif key == "modes":
            modes = tuple(value.replace(",", " ").split())
            bad = [m for m in modes if m not in MODES]
            if bad or not modes:
                raise SpecError(f"unknown stdout mode {', '.join(bad) or '(none)'}; modes are tty, file, pipe", span)
            fields["modes"] = modes
        elif key in ("properties", "property"):
            for name in value.replace(",", " ").split():
                fields["properties"].append(name)
                spans[name] = span
        elif key in ("violates", "violate"):
            for name in value.replace(",", " ").split():
                fields["violates"].append(name)
                spans["violates:" + name] = span
        elif key == "max-procs":
            if not value.isdigit() or int(value) < 1:
                raise SpecError(f"max-procs must be a positive integer, got {value!r}", span)
            fields["max_procs"] = int(value)
        elif key == "fork-can-fail":
            fields["fork_can_fail"] = value.lower() in ("yes", "true", "1", "on")
        elif key == "input":
            fields["nondet"] = _input_range(value, span)
        elif key == "inject":
            for name in value.replace(",", " ").split():
                if name not in INJECTIONS:
                    raise SpecError(f"unknown kernel fault {name!r}; known: {', '.join(INJECTIONS)}", span)
                fields["inject"].append(name)
        else:
            raise SpecError(
                f"unknown spec key {key!r}",
                span,
                ("known keys: description, modes, properties, violates, max-procs, fork-can-fail, inject, input",),
            )
    return SpecHeader(
        description=fields.get("description", ""),
        modes=fields.get("modes", ("file",)),
        expectations=tuple(fields["expectations"]),
        properties=tuple(dict.fromkeys(fields["properties"])),
        violates=tuple(dict.fromkeys(fields["violates"])),
        max_procs=fields.get("max_procs"),
        fork_can_fail=fields.get("fork_can_fail", False),
        inject=tuple(fields["inject"]),
        nondet=fields.get("nondet"),
        spans=spans,
    )


_RANGE = re.compile(r"^(-?\d+)\s*\.\.\s*(-?\d+)$")
MAX_INPUT_VALUES = 4096


def _input_range(value: str, span: Span) -> tuple[int, int]:
    """`input: LO..HI`: the values nondet_int() may return (both ends included)."""
    m = _RANGE.match(value)
    if not m or int(m.group(1)) > int(m.group(2)):
        raise SpecError(f"input must be a range LO..HI with LO <= HI, got {value!r}", span)
    lo, hi = int(m.group(1)), int(m.group(2))
    if hi - lo >= MAX_INPUT_VALUES:
        raise SpecError(f"input range {value} has more than {MAX_INPUT_VALUES} values", span)
    return lo, hi


def _strip_comment(value: str) -> str:
    return value.split("  #", 1)[0].strip() if "  #" in value else value


def _expectation(m: re.Match, span: Span) -> Expectation:
    quantifier, modes_text, cond_text = m.group(1), m.group(2), m.group(3)
    modes = None
    if modes_text:
        modes = tuple(x for x in modes_text[1:-1].replace(",", " ").split())
        bad = [x for x in modes if x not in MODES]
        if bad or not modes:
            raise SpecError(f"unknown stdout mode {', '.join(bad) or '(none)'} in [..]; modes are tty, file, pipe", span)
    cond_text = _strip_trailing_comment(cond_text)
    return Expectation(quantifier, compile_condition(cond_text, OUTCOME_NAMES, span), modes, span)


def _strip_trailing_comment(text: str) -> str:
    """Drop a `# ...` comment that is outside string literals."""
    quote = None
    i = 0
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = None
        elif c in "\"'":
            quote = c
        elif c == "#":
            return text[:i].rstrip()
        i += 1
    return text
