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
from forkspec.kernel.exec import link_images


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


def _load_image(path: str) -> ir.Program:
    """A spec file another spec execs: its program, whose own exec targets the root's table holds."""
    source = Path(path).read_text(encoding="utf-8")
    return parse_spec(source, path, _loading=True).program


def parse_spec(source: str, path: str = "<input>", _loading: bool = False) -> Spec:
    pre = preprocess(source, path)
    header = parse_spec_block(pre.spec_block, path, pre.spec_line)
    parser = c_parser.CParser()
    try:
        ast = parser.parse(pre.text, filename=path)
    except Exception as e:  # pycparser's ParseError, and plain exceptions for some lexer errors
        raise _parse_error(str(e), path, _current_token(parser)) from None
    program = Lowerer(path, source).lower(ast)
    if not _loading:
        program = link_images(program, _load_image)
    return Spec(path, Path(path).stem, program, header)


def _current_token(parser):
    """The token pycparser stopped at, when its message carries no position."""
    stream = getattr(parser, "_tokens", None)
    buf, i = getattr(stream, "_buffer", None), getattr(stream, "_index", None)
    if buf and isinstance(i, int):
        tok = buf[min(i, len(buf) - 1)]
        return getattr(tok, "lineno", None), getattr(tok, "column", None), getattr(tok, "value", "")
    return None


def _parse_error(message: str, path: str, token=None) -> ParseError:
    # pycparser says "file:line:col: before: x", or only "file: what"
    parts = message.split(":", 3)
    if len(parts) >= 4 and parts[1].strip().isdigit():
        span = Span(path, int(parts[1]), int(parts[2]) if parts[2].strip().isdigit() else 1)
        return ParseError(f"syntax error {parts[3].strip()}", span)
    what = message.split(": ", 1)[-1]
    if token and token[0]:
        return ParseError(f"syntax error: {what.lower()} before '{token[2]}'", Span(path, token[0], token[1] or 1))
    return ParseError(f"syntax error: {what}", Span(path, 1, 1))
