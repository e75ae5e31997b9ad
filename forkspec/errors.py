"""One exception hierarchy for everything a user can get wrong.

Each error carries the exit code the command line uses and, where it applies, the
source span it points at, so every message reads `file:line:col: error: ...`.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    """A position in a source file (1-based line and column)."""

    file: str
    line: int
    col: int = 1

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


class ForkspecError(Exception):
    """Base class: bad input the user can fix. Exit code 2."""

    exit_code = 2
    kind = "error"

    def __init__(self, message: str, span: Span | None = None, notes: tuple[str, ...] = ()):
        super().__init__(message)
        self.message = message
        self.span = span
        self.notes = tuple(notes)

    def render(self) -> str:
        where = f"{self.span}: " if self.span else ""
        return "; ".join([f"{where}{self.kind}: {self.message}", *self.notes])


class ParseError(ForkspecError):
    """The C text does not parse."""

    kind = "error"


class UnsupportedError(ForkspecError):
    """Valid C outside the modelled subset."""

    kind = "unsupported"


class SpecError(ForkspecError):
    """A malformed `/*@forkspec ... */` block or expectation."""


class PropertyError(ForkspecError):
    """An unknown or malformed property."""


class ModelError(ForkspecError):
    """The program did something the model cannot follow (e.g. an out-of-bounds index)."""

    kind = "model error"


class RealRunError(ForkspecError):
    """Compiling or running a spec on the real kernel failed."""
