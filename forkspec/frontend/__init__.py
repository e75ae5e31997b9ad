"""Front end: a spec file (C program + `/*@forkspec */` block) to a lowered Program."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pycparser import c_parser

from forkspec import ir
from forkspec.errors import ForkspecError, ParseError, Span
from forkspec.frontend.lower import Lowerer
from forkspec.frontend.preprocess import preprocess
from forkspec.frontend.specblock import SpecHeader, parse_spec_block


@dataclass(frozen=True)
class Spec:
    path: str
    name: str
    program: ir.Program
    header: SpecHeader


def load_spec(path: str | Path) -> Spec:
    p = Path(path)
    try:
        source = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ForkspecError(f"no such file: {p}") from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as e:
        raise ForkspecError(f"cannot read {p}: {e}") from None
    return parse_spec(source, str(p))


def parse_spec(source: str, path: str = "<input>") -> Spec:
    pre = preprocess(source, path)
    header = parse_spec_block(pre.spec_block, path, pre.spec_line)
    try:
        ast = c_parser.CParser().parse(pre.text, filename=path)
    except c_parser.ParseError as e:
        raise _parse_error(str(e), path) from None
    except Exception as e:  # pycparser raises plain exceptions for some lexer errors
        raise _parse_error(str(e), path) from None
    program = Lowerer(path, source).lower(ast)
    return Spec(path, Path(path).stem, program, header)


def _parse_error(message: str, path: str) -> ParseError:
    # pycparser says "file:line:col: before: x"
    parts = message.split(":", 3)
    if len(parts) >= 4 and parts[1].strip().isdigit():
        span = Span(path, int(parts[1]), int(parts[2]) if parts[2].strip().isdigit() else 1)
        return ParseError(f"syntax error {parts[3].strip()}", span)
    return ParseError(f"syntax error: {message}", Span(path, 1, 1))
