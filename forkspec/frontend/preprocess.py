"""The little preprocessing a textbook fork program needs, without a real cpp.

Comments and `#include` lines are blanked (line and column positions are kept, so
pycparser's coordinates still point into the user's file); object-like `#define`s
are substituted; anything conditional or function-like is refused with a clear error.
The `/*@forkspec ... */` block is returned separately for the spec parser.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from forkspec.errors import ParseError, Span, UnsupportedError

SPEC_OPEN = "/*@forkspec"

# Typedefs the standard headers would have supplied. They go before a `#line 1`
# directive, so they never shift the user's line numbers.
PRELUDE = """\
typedef int pid_t;
typedef unsigned long size_t;
typedef long ssize_t;
typedef long off_t;
typedef unsigned int mode_t;
typedef unsigned int uid_t;
typedef unsigned int gid_t;
typedef int FILE;
typedef int bool;
typedef unsigned long pthread_t;
typedef int pthread_mutex_t;
typedef int pthread_attr_t;
typedef int pthread_mutexattr_t;
typedef unsigned long sigset_t;
typedef void (*sighandler_t)(int);
typedef int sig_atomic_t;
typedef long time_t;
typedef unsigned int useconds_t;
typedef int idtype_t;
typedef long intptr_t;
typedef unsigned long uintptr_t;
typedef int int32_t;
typedef long int64_t;
typedef unsigned int uint32_t;
typedef unsigned long uint64_t;
typedef int pthread_cond_t;
typedef int pthread_condattr_t;
typedef int pthread_rwlock_t;
typedef int pthread_once_t;
typedef unsigned int pthread_key_t;
typedef int pthread_barrier_t;
"""


@dataclass(frozen=True)
class Preprocessed:
    text: str  # what pycparser parses (prelude + #line + user text)
    spec_block: str | None
    spec_line: int  # line of the spec block's first line
    defines: dict


def _blank(s: str) -> str:
    """Replace every character but newlines with a space (keeps positions)."""
    return re.sub(r"[^\n]", " ", s)


def strip_comments(source: str, path: str) -> tuple[str, list[tuple[int, str]]]:
    """Blank out comments; return the text and the comments that open a spec block."""
    out: list[str] = []
    specs: list[tuple[int, str]] = []
    i, n, line = 0, len(source), 1
    while i < n:
        c = source[i]
        if c in "\"'":
            j = i + 1
            while j < n and source[j] != c:
                if source[j] == "\\":
                    j += 1
                if j >= n or source[j] == "\n":
                    col = i - (source.rfind("\n", 0, i) + 1) + 1
                    raise ParseError(f"missing terminating {c} character", Span(path, line, col))
                j += 1
            out.append(source[i : j + 1])
            i = j + 1
            continue
        if source.startswith("/*", i):
            j = source.find("*/", i + 2)
            if j < 0:
                raise ParseError("unterminated comment", Span(path, line, 1))
            body = source[i : j + 2]
            if body.startswith(SPEC_OPEN):
                specs.append((line, body[len(SPEC_OPEN) : -2]))
            out.append(_blank(body))
            line += body.count("\n")
            i = j + 2
            continue
        if source.startswith("//", i):
            j = source.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
            continue
        if c == "\n":
            line += 1
        out.append(c)
        i += 1
    return "".join(out), specs


_DEFINE = re.compile(r"#\s*define\s+([A-Za-z_]\w*)(\()?(.*)$")
_IDENT = re.compile(r"[A-Za-z_]\w*")


def preprocess(source: str, path: str) -> Preprocessed:
    text, specs = strip_comments(source, path)
    if len(specs) > 1:
        raise ParseError("more than one /*@forkspec */ block", Span(path, specs[1][0], 1))
    defines: dict[str, str] = {}
    lines = text.split("\n")
    for number, raw in enumerate(lines, start=1):
        stripped = raw.strip()
        if not stripped.startswith("#"):
            if defines:
                lines[number - 1] = _substitute(raw, defines)
            continue
        col = raw.index("#") + 1
        m_word = re.match(r"#\s*([A-Za-z_]*)\s*(.*)$", stripped)
        word, rest = m_word.group(1), m_word.group(2)
        directive = [word, rest] if rest else [word]
        if word in ("include", "pragma", "ident", ""):
            lines[number - 1] = ""
        elif word == "define":
            m = _DEFINE.match(stripped.replace("# ", "#", 1) if stripped.startswith("# ") else stripped)
            if not m:
                raise ParseError("malformed #define", Span(path, number, col))
            name, paren, value = m.group(1), m.group(2), m.group(3)
            if paren:
                raise UnsupportedError(
                    f"function-like macro '{name}(...)'",
                    Span(path, number, col),
                    ("supported: object-like #define NAME value; write a function instead",),
                )
            defines[name] = _substitute(value.strip(), defines)
            lines[number - 1] = ""
        elif word == "undef":
            defines.pop(directive[1].strip() if len(directive) > 1 else "", None)
            lines[number - 1] = ""
        else:
            raise UnsupportedError(
                f"preprocessor directive '#{word}'",
                Span(path, number, col),
                ("supported: #include (ignored), #define NAME value, #undef, #pragma",),
            )
        if raw.rstrip().endswith("\\"):
            raise UnsupportedError("multi-line preprocessor directive", Span(path, number, col))
    body = "\n".join(lines)
    spec_line, spec_block = (specs[0] if specs else (0, None))
    full = PRELUDE + f'#line 1 "{path}"\n' + body
    return Preprocessed(full, spec_block, spec_line, defines)


def _substitute(line: str, defines: dict[str, str]) -> str:
    """Replace defined names by their values outside string and char literals."""
    parts = re.split(r'("(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\')', line)
    for k in range(0, len(parts), 2):
        parts[k] = _IDENT.sub(lambda m: defines.get(m.group(0), m.group(0)), parts[k])
    return "".join(parts)
