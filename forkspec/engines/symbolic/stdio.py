"""glibc's stdout write path over Z3 terms, for programs that call setvbuf or setbuf.

`SymFile` is `kernel/stdio.py`'s `_File` method for method (the same glibc libio
transcription: `xsputn`, `default_xsputn`, `overflow`, `do_write`, the write area's
AREA_NONE/OK/STALE), run on a stream whose buffered length is a Z3 term. Each
comparison that is symbolic is a branch: `paths` runs one libc call again for every
combination of answers (a depth-first walk over the decisions), and each run is one
path with its guard, the stream it leaves and the write(2)s it issues. Where the
transcription needs a number (where to cut the text, how many bytes fit), the symbolic
one is split into its possible values, so every cut is at a known place and text stays
a Z3 string that no guard reasons about. Mode, size and write area are split into
their possible values at the start of each call.

Text is a list of segments `(term, length, known)`: `known` is the Python text, or
None for a printed number (its digits and sign: never a newline), whose length is a
bit-vector until a cut needs it.
"""
from __future__ import annotations

import z3

from forkspec.engines.symbolic.program import NotEncoded
from forkspec.kernel.state import AREA_NONE, AREA_OK, AREA_STALE, IOFBF, IOLBF, IONBF
from forkspec.kernel.stdio import BUFSIZ, SMALL_BLOCK

MAX_DIGITS = 20  # a 64-bit number in decimal, with its sign
MAX_RUNS = 4096


class Infeasible(Exception):
    """A branch no state can take (its guard is false): the run is dropped."""


class Oracle:
    """The answers of one run: a prefix to follow, then the first answer of each new
    branch, with the other answers queued for later runs."""

    def __init__(self, prefix: list):
        self.prefix = prefix
        self.taken: list = []
        self.guard: list = []
        self.later: list = []

    def choose(self, conds: list) -> int:
        """The index of the condition this run takes (each a Z3 Bool or a Python bool)."""
        live = [(i, c) for i, c in enumerate(conds) if c is not False]
        if not live:
            raise Infeasible
        pos = len(self.taken)
        if pos < len(self.prefix):
            pick = self.prefix[pos]
        else:
            pick = live[0][0]
            self.later.extend(self.taken + [i] for i, _ in live[1:])
        self.taken.append(pick)
        c = conds[pick]
        if c is not True:
            self.guard.append(c)
        return pick

    def test(self, cond) -> bool:
        if isinstance(cond, bool):
            return cond
        cond = z3.simplify(cond)
        if z3.is_true(cond) or z3.is_false(cond):
            return z3.is_true(cond)
        return self.choose([cond, z3.Not(cond)]) == 0

    def value(self, term, candidates) -> int:
        """A symbolic number as one of `candidates` (which must cover every value it can take)."""
        if isinstance(term, int):
            return term
        term = z3.simplify(term)
        if z3.is_bv_value(term):
            return term.as_signed_long()
        return candidates[self.choose([term == v for v in candidates])]


def paths(run) -> list:
    """[(guard, result)] for every way `run(oracle)` can go."""
    out, todo = [], [[]]
    while todo:
        if len(out) + len(todo) > MAX_RUNS:
            raise NotEncoded(f"more than {MAX_RUNS} paths through one stdio call", limit=True)
        o = Oracle(todo.pop())
        try:
            result = run(o)
        except Infeasible:
            result = None
        todo.extend(o.later)
        if result is not None:
            out.append((o.guard, result))
    return out


def known(text: str) -> list:
    return [(z3.StringVal(text), len(text), text)] if text else []


def length(text: list):
    total = 0
    for _, n, _ in text:
        total = total + n
    return total


def term(text: list):
    if not text:
        return z3.StringVal("")
    return text[0][0] if len(text) == 1 else z3.Concat(*[t for t, _, _ in text])


class SymFile:
    """One libc call's working copy of stdout (`kernel/stdio.py`'s `_File`)."""

    def __init__(self, o: Oracle, buf, blen, mode: int, size: int, area: int):
        self.o = o
        self.buf, self.blen = buf, blen
        self.mode, self.size, self.area = mode, size, area
        self.writes: list = []  # Z3 string terms, one per write(2)
        self.slack = 0  # known: size - blen >= slack (so a byte-by-byte copy branches once, not per byte)

    def fits(self, k) -> bool:
        """size - blen >= k: known, or a branch (whose yes is remembered)."""
        if isinstance(self.blen, int) and isinstance(k, int):
            return self.size - self.blen >= k
        if isinstance(k, int) and self.slack >= k:
            return True
        yes = self.o.test(self.size - self.blen >= k)
        if yes and isinstance(k, int):
            self.slack = max(self.slack, k)
        return yes

    def concrete(self, text: list) -> list:
        """The text with every segment's length known (a printed number's split over its digits)."""
        return [(t, self.o.value(n, range(1, MAX_DIGITS + 1)), k) for t, n, k in text]

    def cut(self, text: list, k: int) -> tuple[list, list]:
        text = self.concrete(text)
        head, tail, at = [], [], 0
        for t, n, kn in text:
            if at + n <= k:
                head.append((t, n, kn))
            elif at >= k:
                tail.append((t, n, kn))
            else:
                i = k - at
                if kn is not None:
                    head += known(kn[:i])
                    tail += known(kn[i:])
                else:
                    head.append((z3.SubString(t, 0, i), i, None))
                    tail.append((z3.SubString(t, i, n - i), n - i, None))
            at += n
        return head, tail

    def append(self, text: list) -> None:
        if text:
            self.buf = z3.Concat(self.buf, term(text))
            n = length(text)
            self.blen = self.blen + n
            self.slack = max(0, self.slack - n) if isinstance(n, int) else 0

    def room(self):
        """_IO_write_end - _IO_write_ptr."""
        return self.size - self.blen if self.area == AREA_OK else 0

    def do_write(self, data) -> None:
        self.writes.append(data)
        self.area = AREA_OK if self.mode == IOFBF else AREA_STALE

    def write_buffer(self) -> None:
        if self.o.test(self.blen > 0):
            data, self.buf, self.blen, self.slack = self.buf, z3.StringVal(""), 0, 0
            self.do_write(data)
        else:
            self.buf, self.blen = z3.StringVal(""), 0  # known now: nothing is buffered

    def overflow(self, c: list | None) -> None:
        """c: one character as text, or None (flush)."""
        if self.area == AREA_NONE:
            self.area = AREA_OK if self.mode == IOFBF else AREA_STALE
        if c is None:
            self.write_buffer()
            return
        if not self.fits(1):
            self.write_buffer()
        self.append(c)
        newline = c[0][2] == "\n"  # a printed number's character is never a newline
        if self.mode == IONBF or (self.mode == IOLBF and newline):
            self.write_buffer()

    def default_xsputn(self, s: list) -> None:
        s = self.concrete(s)
        n = length(s)
        if n and not isinstance(self.blen, int):
            self.fits(n)  # one branch: the whole text fits (no test per byte), or it does not
        i = 0
        while i < n:
            room = self.room()
            if self.area == AREA_OK and self.fits(1):
                full = not self.fits(n - i)
                take = self.o.value(room, range(1, n - i)) if full else n - i
                piece, _ = self.cut(self.cut(s, i)[1], take)
                if full:
                    self.blen = self.size - take  # room was size - blen: blen is known now
                self.append(piece)
                i += take
                continue
            self.overflow(self.cut(self.cut(s, i)[1], 1)[0])
            i += 1

    def xsputn(self, s: list) -> None:
        count, must_flush = 0, False
        whole = length(s)
        if self.mode == IOLBF and self.area != AREA_NONE:
            count = self.size - self.blen
            all_fit = self.fits(whole)
            if all_fit:
                nl = self.rfind_newline(s)
                if nl >= 0:
                    count, must_flush = nl + 1, True
                    all_fit = self.o.test(count >= whole)
        elif self.area == AREA_OK:  # count = room()
            count = self.size - self.blen
            all_fit = self.fits(whole)
        else:
            all_fit = False  # no room, and the text is not empty
        if all_fit:
            self.append(s)
            s = []
        else:
            s = self.concrete(s)
            k = self.o.value(count, range(0, length(s)))
            head, s = self.cut(s, k)
            if not isinstance(count, int) and not must_flush:
                self.blen = self.size - k  # count was size - blen: blen is known now
            self.append(head)
        if not s and not must_flush:
            return
        self.overflow(None)
        n = length(s)
        direct = n - (n % self.size if self.size >= SMALL_BLOCK else 0)
        if direct:
            head, s = self.cut(s, direct)
            self.do_write(term(head))
        self.default_xsputn(s)

    def rfind_newline(self, s: list) -> int:
        for i in range(len(s) - 1, -1, -1):
            kn = s[i][2]
            if kn is not None and "\n" in kn:
                return length(self.concrete(s[:i])) + kn.rfind("\n")
        return -1

    def putc(self, c: list) -> None:
        if self.area == AREA_OK and self.fits(1):
            self.append(c)
        else:
            self.overflow(c)

    # ---------------------------------------------------------------- libc calls

    def put(self, data: list) -> None:
        if data:
            self.xsputn(data)

    def printf(self, pieces: list) -> None:
        """vfprintf: one call for an unbuffered stream, else one per piece (kernel: print_pieces)."""
        pieces = [p for p in pieces if not (p[2] is not None and p[2] == "")]
        if self.mode == IONBF:
            self.put(pieces)
        else:
            for p in pieces:
                self.put([p])

    def puts(self, text: str) -> None:
        self.put(known(text))
        self.putc(known("\n"))

    def flush(self) -> None:
        self.write_buffer()

    def setvbuf(self, has_buffer: bool, mode: int, size: int) -> None:
        """kernel/stdio.py's setvbuf."""
        if mode == IONBF or has_buffer:
            self.flush()
            area = AREA_STALE if self.area != AREA_NONE else AREA_NONE
            self.buf, self.blen, self.area = z3.StringVal(""), 0, area
            if mode == IONBF:
                self.mode, self.size = IONBF, 1
            else:
                self.mode, self.size = mode, size if size > 0 else BUFSIZ
            return
        self.mode = mode


def stream_kinds(initial: tuple, calls: list) -> list:
    """The (mode, size) pairs stdout can have: the initial one, closed under the program's
    setvbuf/setbuf calls `(has_buffer, mode, size)` (all constants)."""
    kinds = {initial}
    while True:
        new = set(kinds)
        for has_buffer, mode, size in calls:
            if mode not in (IOFBF, IOLBF, IONBF):
                continue
            if mode == IONBF:
                new.add((IONBF, 1))
            elif has_buffer:
                new.add((mode, size if size > 0 else BUFSIZ))
            else:
                new |= {(mode, z) for _, z in kinds}
        if new == kinds:
            return sorted(kinds)
        kinds = new


AREAS = (AREA_NONE, AREA_OK, AREA_STALE)
