"""Char arrays, pipe contents and file contents as bit-vectors: byte i is bits 8i..8i+7.

The kernel keeps a char array as one memory cell holding a string of fixed length
(`char buf[16]` holds 15 characters and its terminating NUL is implicit); the encoding
keeps that cell as one bit-vector of 8 bits per character, so a read(2) into it, a
store `buf[n] = 0` at a symbolic index and the bytes a pipe or a file holds are
bit-vector terms the solver bit-blasts. Only where bytes are shown (printf's %s,
write(2) to the standard output) do they become a Z3 string, and that string only
ever enters the output, never a constraint. A cell whose bits are all known reads
back as the Python string the kernel would hold, so nothing else changes.
"""
from __future__ import annotations

import z3

from forkspec import ir
from forkspec.engines.symbolic.expr import Chars, bv, is_sym
from forkspec.engines.symbolic.program import NotEncoded


def width(length: int) -> int:
    return 8 * max(1, length)


def const_bits(text: str, length: int):
    data = text.encode("latin-1")[:length].ljust(length, b"\0")
    return z3.BitVecVal(int.from_bytes(data, "little"), width(length))


def value(term, length: int):
    """What a load of a char array cell gives: its Python string when every bit is known."""
    t = z3.simplify(term)
    if z3.is_bv_value(t):
        return t.as_long().to_bytes(width(length) // 8, "little")[:length].decode("latin-1")
    return Chars(t, length)


def bits_of(v, length: int):
    """A value stored into a char array cell of `length` characters, as its bits."""
    if isinstance(v, Chars):
        return resize(v.bits, width(length))
    if isinstance(v, str):
        return const_bits(v, length)
    raise NotEncoded("a number stored into a char array")


def resize(term, w: int):
    n = term.size()
    if n == w:
        return term
    return z3.Extract(w - 1, 0, term) if n > w else z3.ZeroExt(w - n, term)


def mask(count, w: int):
    """The low `count` bytes of a w-bit vector (count may be symbolic, at most w / 8)."""
    c = _bv(count, w)
    return z3.If(c * 8 >= w, z3.BitVecVal(-1, w), (z3.BitVecVal(1, w) << (c * 8)) - 1)


def shift_bytes(term, count, left: bool):
    w = term.size()
    c = _bv(count, w) * 8
    return term << c if left else z3.LShR(term, c)


def _bv(count, w: int):
    if not is_sym(count):
        return z3.BitVecVal(count, w)
    n = count.size()
    return z3.Extract(w - 1, 0, count) if n > w else (count if n == w else z3.ZeroExt(w - n, count))


def set_byte(bits, index, c):
    """`s[i] = c` at a (possibly symbolic) index within the array."""
    w = bits.size()
    shift = _bv(index, w) * 8
    byte = z3.ZeroExt(w - 8, z3.Extract(7, 0, c)) if is_sym(c) else z3.BitVecVal(c & 0xFF, w)
    return (bits & ~(z3.BitVecVal(0xFF, w) << shift)) | (byte << shift)


def text(bits, count, limit: int):
    """The first `count` bytes (count <= limit) of `bits` as a Z3 string (bytes shown, not solved for)."""
    parts = []
    for i in range(limit):
        ch = z3.StrFromCode(z3.BV2Int(z3.Extract(8 * i + 7, 8 * i, bits)))
        if is_sym(count):
            parts.append(z3.If(count > i, ch, z3.StringVal("")))
        elif i < count:
            parts.append(ch)
    return z3.Concat(*parts) if len(parts) > 1 else (parts[0] if parts else z3.StringVal(""))


def c_string(v: Chars) -> tuple:
    """printf's %s of a char array: the bytes before the first NUL, and how many."""
    alive, length, parts = z3.BoolVal(True), bv(0), []
    for i in range(v.length):
        b = z3.Extract(8 * i + 7, 8 * i, v.bits)
        alive = z3.And(alive, b != 0)
        length = length + z3.If(alive, bv(1), bv(0))
        parts.append(z3.If(alive, z3.StrFromCode(z3.BV2Int(b)), z3.StringVal("")))
    term = z3.Concat(*parts) if len(parts) > 1 else (parts[0] if parts else z3.StringVal(""))
    return term, length


class Data:
    """Bytes a write(2) sends: `count` (maybe symbolic) bytes of `bits`, at most `limit`."""

    __slots__ = ("bits", "count", "limit", "known")

    def __init__(self, bits, count, limit: int, known: str | None = None):
        self.bits, self.count, self.limit, self.known = bits, count, limit, known

    @classmethod
    def of(cls, s: str) -> "Data":
        return cls(const_bits(s, len(s)), len(s), len(s), s)

    def text(self):
        return z3.StringVal(self.known) if self.known is not None else text(self.bits, self.count, self.limit)


def char_cells(lay) -> dict:
    """{memory key: characters} of the cells that hold char arrays: the globals the program
    starts with strings in, and the locals a declaration stores a string into and whose
    bytes the program writes (a `char *` that only ever holds whole literals keeps a
    literal's number instead, `symbolic.strings`)."""
    prog = lay.program
    out = {("g", i): len(v) for i, v in enumerate(prog.globals_init) if isinstance(v, str)}
    numbers = {}
    written = byte_targets(lay)
    for key in lay.locations:
        ins = lay.instr(key)
        if not (isinstance(ins, ir.Store) and isinstance(ins.target, ir.Cell)):
            continue
        cell = ("g", ins.target.slot) if ins.target.region == "global" else ("s", lay.bases(key)[-1] + ins.target.slot)
        if cell[0] == "s" and written is not None and cell not in written:
            continue
        if isinstance(ins.value, ir.Const) and isinstance(ins.value.value, str):
            if out.get(cell, len(ins.value.value)) != len(ins.value.value):
                raise NotEncoded("a memory cell that holds char arrays of two sizes", ins.loc)
            out[cell] = len(ins.value.value)
        else:
            numbers[cell] = ins.loc
    for cell, loc in numbers.items():
        if cell in out:
            raise NotEncoded("a memory cell that holds a char array and a number", loc)
    return out


def byte_targets(lay) -> set | None:
    """The local cells whose bytes the program may write one by one (`a[i] = c`, read() into
    them), or None when a write through a pointer may reach any."""
    out = set()
    for key in lay.locations:
        ins = lay.instr(key)
        if isinstance(ins, ir.StoreChar):
            holder = ins.target
        elif isinstance(ins, ir.Builtin) and ins.name == "read":
            holder = ins.args[1].cell if isinstance(ins.args[1], ir.AddrOf) else None
        else:
            continue
        if not isinstance(holder, ir.Cell):
            return None
        if holder.region == "local":
            out.add(("s", lay.bases(key)[-1] + holder.slot))
    return out
