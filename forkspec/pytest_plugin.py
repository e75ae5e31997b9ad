"""forkspec as a pytest plugin: each check of each C spec is a test item.

Installed with forkspec (the `pytest11` entry point), it is active in every pytest
run but collects only:

* `.c` files carrying a `/*@forkspec ... */` block anywhere under a folder named
  `specs` (so `pytest specs/` checks them all), and
* any `.c` file named on the command line (`pytest path/to/prog.c`).

A project without specs never sees it. Each spec gives one item per check and
stdout mode (`specs/x.c::all-reaped[file]`): its `assert`s, each expectation, each
property, deadlock freedom. The spec is explored once per mode, when its first item
runs. A check that does not come out as the spec says fails with the shortest
trace; an inconclusive one (a limit cut the search) fails too, saying why.

Options: `--forkspec-stdout MODE` (only that mode), `--forkspec-max-states N`,
`--forkspec-props FILE` (extra property file, repeatable).
"""
from __future__ import annotations

from pathlib import Path

import pytest

MARKER = "/*@forkspec"
FOLDER = "specs"


def pytest_addoption(parser):
    group = parser.getgroup("forkspec", "forkspec: C specs as tests")
    group.addoption("--forkspec-stdout", action="store", default=None, choices=("tty", "file", "pipe"),
                    help="check specs with stdout to this only (default: each mode a spec lists)")
    group.addoption("--forkspec-max-states", action="store", type=int, default=None, metavar="N",
                    help="stop each exploration after N distinct states (the checks are then inconclusive)")
    group.addoption("--forkspec-props", action="append", default=[], metavar="FILE",
                    help="an extra property file (TOML) for forkspec specs (repeatable)")


def _named(path: Path, config) -> bool:
    here = Path(config.invocation_params.dir)
    for arg in config.invocation_params.args:
        arg = str(arg).split("::", 1)[0]
        if not arg or arg.startswith("-"):
            continue
        try:
            if (here / arg).resolve() == path.resolve():
                return True
        except OSError:
            continue
    return False


def _in_specs_folder(path: Path, config) -> bool:
    try:
        parts = path.resolve().relative_to(Path(config.rootpath).resolve()).parts[:-1]
    except ValueError:
        parts = path.resolve().parts[:-1]
    return FOLDER in parts


def _has_block(path: Path) -> bool:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return MARKER in f.read(1 << 20)
    except OSError:
        return False


def pytest_collect_file(file_path: Path, parent):
    if file_path.suffix != ".c":
        return None
    config = parent.config
    if _named(file_path, config) or (_in_specs_folder(file_path, config) and _has_block(file_path)):
        return SpecFile.from_parent(parent, path=file_path)
    return None


def _shown(path: Path, config) -> str:
    """The path as the user would type it: relative to where pytest was started, when inside it."""
    try:
        return str(path.resolve().relative_to(Path(config.invocation_params.dir).resolve()))
    except ValueError:
        return str(path)


class SpecFailure(Exception):
    """A check that did not come out as the spec says, with its report."""


class SpecFile(pytest.File):
    """A C spec: one item per check and stdout mode."""

    def collect(self):
        from forkspec.frontend import load_spec
        from forkspec.props import library
        from forkspec.session import Options, build_checks, modes_for, unknown_violates

        config = self.config
        prop_files = tuple(Path(p) for p in config.getoption("forkspec_props") or ())
        self.props = library(prop_files)
        self.spec = load_spec(_shown(self.path, config))
        unknown_violates(self.spec, self.props)
        self.options = Options(property_files=prop_files, max_states=config.getoption("forkspec_max_states"))
        self.runs: dict = {}
        for mode in modes_for(self.spec, config.getoption("forkspec_stdout")):
            for check in build_checks(self.spec, mode, self.options, self.props):
                yield CheckItem.from_parent(self, name=f"{check.name}[{mode}]", check_name=check.name, mode=mode,
                                            line=getattr(getattr(check, "span", None), "line", 0) or 0)

    def run_for(self, mode: str):
        """The exploration of this spec in `mode`, made once."""
        if mode not in self.runs:
            from forkspec.session import run

            self.runs[mode] = run(self.spec, mode, self.options, self.props)
        return self.runs[mode]

    def repr_failure(self, excinfo, style=None):
        from forkspec.errors import ForkspecError

        if isinstance(excinfo.value, ForkspecError):
            return f"forkspec: {excinfo.value.render()}"
        return super().repr_failure(excinfo, style)


class CheckItem(pytest.Item):
    def __init__(self, *, check_name: str, mode: str, line: int = 0, **kw):
        super().__init__(**kw)
        self.check_name = check_name
        self.mode = mode
        self.line = line

    def runtest(self):
        from forkspec.engines.result import INCONCLUSIVE, VIOLATED
        from forkspec.report import text as treport
        from forkspec.trace import rebuild

        r = self.parent.run_for(self.mode)
        result = next(x for x in r.exploration.results if x.check.name == self.check_name)
        if result.passed:
            return
        head = f"{r.spec.path} [stdout={self.mode}]: {self.check_name}: "
        if result.verdict == INCONCLUSIVE:
            raise SpecFailure(head + f"inconclusive ({result.reason})")
        if result.verdict == VIOLATED and result.witness is not None:
            t = rebuild(r.kernel, r.exploration, result.witness)
            raise SpecFailure(head + "VIOLATED\n" + treport.render_trace(
                t, f"  shortest counterexample ({treport.steps(len(t))}):", treport.conclusion(result.check, t),
                r.spec.program))
        raise SpecFailure(head + treport.verdict_word(result) + (f" ({result.reason})" if result.reason else ""))

    def repr_failure(self, excinfo, style=None):
        from forkspec.errors import ForkspecError

        if isinstance(excinfo.value, SpecFailure):
            return str(excinfo.value)
        if isinstance(excinfo.value, ForkspecError):
            return f"forkspec: {excinfo.value.render()}"
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        # Not a suffix of the node id, so pytest prints the node id as it is.
        return self.path, max(self.line - 1, 0) if self.line else None, f"{self.check_name} [{self.mode}]"
