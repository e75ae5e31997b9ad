"""Random forking programs for conformance testing (the model against the real kernel).

A generated program is a small C program in the subset the model supports: forks in
branches and loops (``fork();``, ``if (fork() == 0)``, ``p = fork(); if (p == 0)``,
``for (i = 0; i < 2; i++)``), output through printf, puts, putchar, fputs, fputc,
fprintf and write with and without newlines (a newline in the middle of a string
too), under every buffering mode (``setvbuf`` with and without a buffer of its own,
``setbuf``), fflush, exit, _exit, _Exit, abort and return, atexit handlers, wait and
waitpid with and without WNOHANG, orphans that print whether ``getppid() == 1``,
raw pids (the real runner renames them to the model's), and ``vfork`` followed by
``_exit``.

Programs stay small: at most :data:`MAX_PROCESSES` processes (the first one
included) and a handful of statements per block, so the model answers in a fraction
of a second.

Generation is written once against a source of choices (:class:`Choices`) and
driven either by a seeded ``random.Random`` (:func:`from_seed`, for large batches)
or by Hypothesis (:func:`programs`, a strategy: its shrinking moves every choice
towards 0, and choice 0 is always the simplest option, so failing programs shrink to
small ones).  :func:`shrink` minimises a program against any predicate by deleting
and simplifying statements.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from typing import Callable, Iterator

__all__ = ["Program", "Stmt", "Choices", "RandomChoices", "generate", "from_seed", "programs", "procs_bound",
           "shrink", "MAX_PROCESSES"]

MAX_PROCESSES = 4  # the first process included
# Visible operations (output, wait, fork, exit...), summed over the processes that may
# execute them: the model's state count grows with their interleavings, so this
# bounds it (the whole program's stdout is part of a state).
MAX_OPS = 14
MAX_BLOCK = 5  # statements in main's body (before its final return)
MAX_INNER = 3  # statements in a nested block
BUFFER_SIZES = (8, 16, 100, 128, 200, 1024)
BUFSIZ_ARG = 64  # a size passed to setvbuf with no buffer: glibc ignores it


# --------------------------------------------------------------------------- choices


class Choices:
    """A source of choices. ``int(lo, hi)`` is the only primitive; 0-based picks shrink
    towards the first option, so the simplest option always comes first."""

    def int(self, lo: int, hi: int) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    def pick(self, options):
        return options[self.int(0, len(options) - 1)]

    def weighted(self, options):
        """``options`` is a list of (weight, value); the first is where shrinking leads."""
        total = sum(w for w, _ in options)
        n = self.int(0, total - 1)
        for w, v in options:
            if n < w:
                return v
            n -= w
        return options[-1][1]

    def chance(self, num: int, den: int) -> bool:
        """True with probability num/den (shrinks to False)."""
        return self.int(0, den - 1) >= den - num


class RandomChoices(Choices):
    def __init__(self, rng: random.Random):
        self.rng = rng

    def int(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)


class HypothesisChoices(Choices):
    def __init__(self, draw):
        self.draw = draw

    def int(self, lo: int, hi: int) -> int:
        from hypothesis import strategies as st

        return self.draw(st.integers(lo, hi))


# --------------------------------------------------------------------------- the program


@dataclass(frozen=True)
class Stmt:
    """One statement of ``main``.

    kind: ``simple`` (``code`` is the C statement), ``end`` (a statement that ends the
    process: exit, _exit, _Exit, abort, return), ``fork`` (``fork();``), ``ifchild``
    (``if (fork() == 0) {A} else {B}``), ``ifpid`` (``p = fork(); if (p == 0) {A} else
    {B}``), ``vfork`` (``if (vfork() == 0) { code _exit(arg); }``), ``loop`` (``for (i = 0;
    i < arg; i++) {A}``).
    """

    kind: str
    code: str = ""
    blocks: tuple = ()
    arg: int = 0

    def render(self, indent: int) -> list[str]:
        pad = "    " * indent
        if self.kind in ("simple", "end"):
            return [pad + self.code]
        if self.kind == "fork":
            return [pad + "fork();"]
        if self.kind == "fork2":  # `fork() && fork();` or `fork() || fork();`
            return [pad + self.code]
        if self.kind in ("ifchild", "ifpid"):
            head = "if (fork() == 0) {" if self.kind == "ifchild" else "if (p == 0) {"
            lines = [pad + "p = fork();"] if self.kind == "ifpid" else []
            lines.append(pad + head)
            lines += _render_block(self.blocks[0], indent + 1)
            if len(self.blocks) > 1 and self.blocks[1]:
                lines.append(pad + "} else {")
                lines += _render_block(self.blocks[1], indent + 1)
            lines.append(pad + "}")
            return lines
        if self.kind == "vfork":
            lines = [pad + "if (vfork() == 0) {"]
            if self.code:
                lines.append(pad + "    " + self.code)
            lines += [pad + f"    _exit({self.arg});", pad + "}"]
            return lines
        if self.kind == "loop":
            return ([pad + f"for (i = 0; i < {self.arg}; i++) {{"] + _render_block(self.blocks[0], indent + 1)
                    + [pad + "}"])
        raise ValueError(self.kind)


def _render_block(block, indent: int) -> list[str]:
    out: list[str] = []
    for s in block:
        out += s.render(indent)
    return out


@dataclass(frozen=True)
class Program:
    body: tuple  # statements of main
    handlers: tuple = ()  # atexit handler bodies (one C statement each): h0, h1, ...
    buffer: int = 0  # size of the global `char buf[]` given to setvbuf (0: none)
    label: str = ""

    def source(self, header: str | None = None) -> str:
        """The program as a spec file: a ``/*@forkspec`` block, then the C text."""
        if header is None:
            header = f"description: generated program{(' ' + self.label) if self.label else ''}\nmodes: file tty pipe"
        lines = ["/*@forkspec", header.rstrip("\n"), "*/",
                 "#include <stdio.h>", "#include <stdlib.h>", "#include <unistd.h>", "#include <sys/wait.h>", ""]
        lines.append("int g = 0;")
        if self.buffer:
            lines.append(f"char buf[{self.buffer}];")
        for n, h in enumerate(self.handlers):
            lines.append(f"void h{n}(void) {{ {h} }}")
        lines += ["", "int main(void)", "{", "    int i = 0, r = 0, st = 0;", "    pid_t p = 0;"]
        lines += _render_block(self.body, 1)
        lines.append("}")
        return "\n".join(lines) + "\n"

    def size(self) -> int:
        """Statements, nested ones included (for shrinking)."""
        return _size(self.body) + len(self.handlers)


def _size(block) -> int:
    return sum(1 + sum(_size(b) for b in s.blocks) + (1 if s.code and s.kind == "vfork" else 0) for s in block)


# --------------------------------------------------------------------------- process bound


_QUIET = ("g++;", "g = g + 10;", "usleep(1000);", "sleep(1);", "usleep(2000);")


def _cost(s: Stmt) -> int:
    """Visible operations of one process executing ``s`` (not counting nested blocks)."""
    if s.kind == "simple" and s.code in _QUIET:
        return 0
    if s.kind in ("vfork", "fork2") or s.code.startswith(("atexit(", "while")):
        return 2  # vfork: the child's steps; fork2: two forks; atexit: the handler's output at exit; while: waits
    # a newline inside a printf: two writes on a tty; a long one: a write per full buffer
    return 1 + s.code.count("\\n") // 2 + len(s.code) // 1024


def _run(block, n: int) -> tuple[int, int, int]:
    """Abstract execution: (processes still running after ``block``, processes created,
    visible operations) when ``n`` processes enter it. An upper bound: every branch is
    taken by all."""
    created = ops = 0
    for s in block:
        if n == 0:
            break
        if s.kind in ("ifchild", "ifpid"):
            created += n
            ops += n
            a_n, a_c, a_o = _run(s.blocks[0], n)
            b_n, b_c, b_o = _run(s.blocks[1] if len(s.blocks) > 1 else (), n)
            created += a_c + b_c
            ops += a_o + b_o
            n = a_n + b_n
            continue
        if s.kind == "loop":
            for _ in range(s.arg):
                n, c, o = _run(s.blocks[0], n)
                created += c
                ops += o
            continue
        ops += n * _cost(s)
        if s.kind == "end":
            n = 0
        elif s.kind == "fork":
            created += n
            n *= 2
        elif s.kind == "fork2":  # the second fork runs in one of the two processes of the first
            created += 2 * n
            n *= 3
        elif s.kind == "vfork":
            created += n
    return n, created, ops


def procs_bound(program: Program) -> int:
    """An upper bound on the processes a run creates, the first one included."""
    return 1 + _run(program.body, 1)[1]


def ops_bound(program: Program) -> int:
    """An upper bound on the visible operations of a run, summed over its processes."""
    return _run(program.body, 1)[2]


# --------------------------------------------------------------------------- generation


@dataclass
class _Ctx:
    ch: Choices
    left: int  # processes that may still be created
    ops: int = MAX_OPS  # visible operations still allowed
    letters: Iterator[str] = field(default_factory=lambda: iter("abcdefghjkmnqstuvxyzABCDEFGHJKLMNQRSTUVXYZ" * 4))
    handlers: int = 0
    buffer: int = 0
    # Raw pids are printed (the real runner renames them afterwards). A real pid may be
    # wider than the model's, which moves buffer boundaries: programs that print them
    # get no buffer of their own and no output long enough to fill a buffer.
    raw_pids: bool = False


def _token(ctx: _Ctx) -> str:
    return next(ctx.letters)


def _out(ctx: _Ctx, in_loop: bool, nl_bias: int = 1) -> str:
    """One output statement. Every number printed is between a letter and a non-digit,
    so that a pid stays a whole number however the outputs interleave."""
    ch = ctx.ch
    t = _token(ctx)
    nl = "\\n" if ch.chance(1 + nl_bias, 3) else ""
    end = nl or "."  # after a number
    kind = ch.weighted([
        (6, "printf"), (3, "puts"), (3, "putchar"), (3, "write"), (2, "printf2"), (2, "pidinfo"),
        (1, "fputs"), (1, "fputc"), (1, "fprintf"), (2, "counter"), (1 if in_loop else 0, "loopvar"),
        (0 if in_loop or ctx.raw_pids else 1, "bulk"),
    ])
    if kind == "printf":
        return f'printf("{t}{nl}");'
    if kind == "printf2":  # a newline in the middle: glibc flushes a line-buffered stream up to it
        return f'printf("{t}\\n{t}{nl}");'
    if kind == "puts":
        return f'puts("{t}");'
    if kind == "putchar":
        return f"putchar('{t}');" if not nl else "putchar('\\n');"
    if kind == "write":
        return f'write(1, "{t}{nl}", {1 + bool(nl)});'
    if kind == "fputs":
        return f'fputs("{t}{nl}", stdout);'
    if kind == "fputc":
        return f"fputc('{t}', stdout);"
    if kind == "fprintf":
        return f'fprintf(stdout, "{t}%d{end}", g);'
    if kind == "counter":
        return f'printf("{t}%d{end}", g);'
    if kind == "loopvar":
        return f'printf("{t}%d{end}", i);'
    if kind == "bulk":  # one long printf: across a terminal's 1024-byte and a file's 4096-byte buffer
        return f'printf("{t * ch.pick([500, 1100, 4100, 4500])}");'
    which = ch.pick(["getppid() == 1", "getpid()", "getppid()"] if ctx.raw_pids else ["getppid() == 1"])
    return f'printf("{t}%d{end}", {which});'


def _buffering(ctx: _Ctx) -> str:
    ch = ctx.ch
    kind = ch.weighted([(3, "nobuf"), (2, "line"), (2, "full"), (1, "setbuf"), (0 if ctx.raw_pids else 2, "own")])
    if kind == "nobuf":
        return "setvbuf(stdout, NULL, _IONBF, 0);"
    if kind == "line":
        return "setvbuf(stdout, NULL, _IOLBF, 0);"
    if kind == "full":
        return f"setvbuf(stdout, NULL, _IOFBF, {ch.pick([0, BUFSIZ_ARG])});"
    if kind == "setbuf":
        return "setbuf(stdout, NULL);"
    size = ch.pick(BUFFER_SIZES)
    ctx.buffer = max(ctx.buffer, size)
    mode = ch.pick(["_IOFBF", "_IOLBF"])
    return f"setvbuf(stdout, buf, {mode}, {size});"


def _wait(ctx: _Ctx, pid_known: bool) -> str:
    ch = ctx.ch
    t = _token(ctx)
    kind = ch.weighted([(3, "wait"), (2, "status"), (2, "all"), (2, "nohang"), (1 if ctx.raw_pids else 0, "nohang_pid"),
                        (1, "spin"), (3 if pid_known else 0, "waitpid"), (2 if pid_known else 0, "waitpid_status")])
    if kind == "wait":
        return "wait(NULL);"
    if kind == "status":
        return f'printf("{t}%d\\n", wait(&st) > 0 ? WEXITSTATUS(st) : -1);'
    if kind == "all":
        return "while (wait(NULL) > 0) {}"
    if kind == "nohang":
        return f'printf("{t}%d\\n", waitpid(-1, NULL, WNOHANG) > 0);'
    if kind == "nohang_pid":
        return f'printf("{t}%d\\n", waitpid(-1, &st, WNOHANG));'
    if kind == "spin":  # poll until a child has ended (or there is none)
        return f'while ((r = waitpid(-1, &st, WNOHANG)) == 0) {{}} printf("{t}%d\\n", r > 0);'
    if kind == "waitpid":
        return "waitpid(p, &st, 0);"
    return f'printf("{t}%d\\n", waitpid(p, &st, 0) == p ? WEXITSTATUS(st) : -1);'


def _end(ctx: _Ctx) -> Stmt:
    ch = ctx.ch
    code = ch.pick([0, 1, 2, 3, 258])
    kind = ch.weighted([(4, "exit"), (3, "_exit"), (2, "return"), (1, "_Exit"), (1, "abort")])
    if kind == "exit":
        return Stmt("end", f"exit({code});")
    if kind == "_exit":
        return Stmt("end", f"_exit({code});")
    if kind == "return":
        return Stmt("end", f"return {code};")
    if kind == "_Exit":
        return Stmt("end", f"_Exit({code});")
    return Stmt("end", "abort();")


def _block(ctx: _Ctx, n: int, depth: int, length: int, in_loop: bool, pid_known: bool,
           child: bool, fork_at: int = -1) -> tuple[tuple, int]:
    """A block entered by ``n`` processes: its statements and how many leave it. The
    statement at index ``fork_at`` (if any) creates processes."""
    ch = ctx.ch
    stmts: list[Stmt] = []
    count = max(ch.int(0, length), fork_at + 1)
    if child and ch.chance(1, 4):  # an orphan probe: the child waits a moment, then looks at its parent
        stmts.append(Stmt("simple", ch.pick(["sleep(1);", "usleep(2000);"])))
        stmts.append(Stmt("simple", f'printf("{_token(ctx)}%d\\n", getppid() == 1);'))
    for index in range(count):
        if n == 0 or ctx.ops < n:
            break
        left, ops_left = ctx.left, ctx.ops
        s = _stmt(ctx, n, depth, in_loop, pid_known, index == fork_at)  # nested blocks draw on ctx.ops
        after, _, ops = _run((s,), n)
        ctx.ops = ops_left  # then the statement is charged as a whole
        if ops + after > ctx.ops:  # too much (the survivors still have to exit): skipped
            ctx.left = left
            continue
        ctx.ops -= ops
        stmts.append(s)
        n = after
    if child and n and ch.chance(2, 3):
        stmts.append(_end(ctx))
        ctx.ops -= n
        n = 0
    return tuple(stmts), n


def _stmt(ctx: _Ctx, n: int, depth: int, in_loop: bool, pid_known: bool, fork_only: bool = False) -> Stmt:
    ch = ctx.ch
    can_fork = ctx.left >= n and depth < 2
    other = 0 if fork_only and can_fork else 1
    kind = ch.weighted([
        (5 if can_fork else 0, "ifchild"), (8 * other, "out"), (3 if can_fork else 0, "ifpid"),
        (3 if can_fork else 0, "fork"), (1 if can_fork and ctx.left >= 2 * n else 0, "fork2"),
        (2 * other, "flush"), (2 * other, "buffering"), (3 * other, "wait"),
        (1 if ctx.left >= n else 0, "vfork"), ((2 if ctx.handlers < 2 else 1) * other, "atexit"),
        (1 * other, "counter"), (1 * other, "sleep"), (2 if depth < 2 and not in_loop else 0, "loop"),
    ])
    if kind == "out":
        return Stmt("simple", _out(ctx, in_loop))
    if kind == "flush":
        return Stmt("simple", ch.pick(["fflush(stdout);", "fflush(NULL);"]))
    if kind == "buffering":
        return Stmt("simple", _buffering(ctx))
    if kind == "wait":
        return Stmt("simple", _wait(ctx, pid_known))
    if kind == "counter":
        return Stmt("simple", ch.pick(["g++;", "g = g + 10;"]))
    if kind == "sleep":
        return Stmt("simple", ch.pick(["usleep(1000);", "sleep(1);"]))
    if kind == "atexit":
        if ctx.handlers < 2 and (ctx.handlers == 0 or ch.chance(1, 2)):
            ctx.handlers += 1
        return Stmt("simple", f"atexit(h{ch.int(0, ctx.handlers - 1)});")
    if kind == "fork":
        ctx.left -= n
        return Stmt("fork")
    if kind == "fork2":
        ctx.left -= 2 * n
        return Stmt("fork2", ch.pick(["fork() && fork();", "fork() || fork();"]))
    if kind == "vfork":
        ctx.left -= n
        code = ""
        if ch.chance(1, 2):
            t = _token(ctx)
            code = f'write(1, "{t}\\n", 2);'
        return Stmt("vfork", code, arg=ch.pick([0, 1, 2]))
    if kind in ("ifchild", "ifpid"):
        ctx.left -= n
        a, _ = _block(ctx, n, depth + 1, MAX_INNER, in_loop, pid_known, child=True)
        b: tuple = ()
        if ch.chance(1, 2):
            b, _ = _block(ctx, n, depth + 1, MAX_INNER, in_loop, pid_known or kind == "ifpid", child=False)
        return Stmt(kind, blocks=(a, b))
    # a loop: its body runs twice when the budget allows, else once
    before = ctx.left
    body, _ = _block(ctx, n, depth + 1, MAX_INNER, True, pid_known, child=False)
    once = _run(body, n)[1]
    k = ch.pick([2, 1])
    if k == 2:
        twice = _run(body * 2, n)[1]
        if twice > before:
            k = 1
        else:
            ctx.left = before - twice
    return Stmt("loop", blocks=(body,), arg=k) if once <= before else Stmt("simple", _out(ctx, False))


_HANDLER_OUT = ['printf("{t}\\n");', 'printf("{t}");', 'puts("{t}");', 'write(1, "{t}\\n", 3);', "putchar('{c}');"]


def generate(ch: Choices, label: str = "", max_processes: int = MAX_PROCESSES, max_ops: int = MAX_OPS) -> Program:
    """One program, every choice taken from ``ch`` (smaller bounds give smaller programs)."""
    ctx = _Ctx(ch, max_processes - 1, ops=max_ops)
    ctx.raw_pids = ch.chance(1, 3)
    prologue: list[Stmt] = []
    if ch.chance(1, 3):  # buffering set before any output, as C intends
        prologue.append(Stmt("simple", _buffering(ctx)))
    ctx.ops -= 1  # main's own exit
    body, n = _block(ctx, 1, 0, MAX_BLOCK, False, False, child=False, fork_at=ch.int(0, 2))
    body = tuple(prologue) + body
    if n:
        body += (Stmt("end", f"return {ch.pick([0, 1, 3])};"),)
    handlers = tuple(ch.pick(_HANDLER_OUT).format(t=f"h{k}", c="#@"[k]) for k in range(ctx.handlers))
    prog = Program(body, handlers, ctx.buffer, label)
    assert procs_bound(prog) <= max_processes, prog.source()
    return prog


def from_seed(seed: int) -> Program:
    """The program of a seed (the same on every machine and Python version)."""
    return generate(RandomChoices(random.Random(seed)), label=f"seed {seed}")


def programs(max_processes: int = MAX_PROCESSES, max_ops: int = MAX_OPS):
    """A Hypothesis strategy of generated programs."""
    from hypothesis import strategies as st

    @st.composite
    def _programs(draw):
        return generate(HypothesisChoices(draw), max_processes=max_processes, max_ops=max_ops)

    return _programs()


# --------------------------------------------------------------------------- shrinking


def _variants(block) -> Iterator[tuple]:
    """Smaller versions of a block: a statement removed, a compound statement replaced by
    a part of it, a nested block made smaller."""
    for i, s in enumerate(block):
        yield block[:i] + block[i + 1:]
    for i, s in enumerate(block):
        if s.kind in ("ifchild", "ifpid", "loop"):
            for part in s.blocks:
                yield block[:i] + tuple(part) + block[i + 1:]
        if s.kind == "ifpid" or s.kind == "ifchild":
            if len(s.blocks) > 1 and s.blocks[1]:
                yield block[:i] + (replace(s, blocks=(s.blocks[0], ())),) + block[i + 1:]
        if s.kind == "loop" and s.arg > 1:
            yield block[:i] + (replace(s, arg=1),) + block[i + 1:]
        if s.kind == "vfork" and s.code:
            yield block[:i] + (replace(s, code=""),) + block[i + 1:]
        for j, part in enumerate(s.blocks):
            for smaller in _variants(tuple(part)):
                blocks = s.blocks[:j] + (smaller,) + s.blocks[j + 1:]
                yield block[:i] + (replace(s, blocks=blocks),) + block[i + 1:]


def _candidates(prog: Program) -> Iterator[Program]:
    for body in _variants(prog.body):
        yield replace(prog, body=body)
    uses = prog.source()
    for k in range(len(prog.handlers) - 1, -1, -1):
        if f"atexit(h{k})" not in uses:
            yield replace(prog, handlers=prog.handlers[:k])
            break
    if prog.buffer and "buf," not in uses:
        yield replace(prog, buffer=0)


def shrink(prog: Program, fails: Callable[[Program], bool], budget: int = 400) -> Program:
    """Greedily the smallest variant of ``prog`` that still ``fails`` (``fails(prog)`` is
    assumed), trying at most ``budget`` candidates."""
    tried = 0
    improved = True
    while improved and tried < budget:
        improved = False
        for cand in _candidates(prog):
            if procs_bound(cand) > MAX_PROCESSES:
                continue
            tried += 1
            if fails(cand):
                prog = cand
                improved = True
                break
            if tried >= budget:
                break
    return prog
