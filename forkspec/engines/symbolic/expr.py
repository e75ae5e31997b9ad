"""IR expressions over values that are Python ints (known when encoding) or Z3 terms.

The same C semantics as `forkspec.kernel.evaluate` (which compiles expressions to
closures over concrete values): concrete operands are computed with the kernel's own
helpers (`wrap`, `c_div`), symbolic ones become 64-bit Z3 bit-vectors, which is what a
C long is and what Z3 solves fastest (by bit-blasting). Division truncates (`bvsdiv`,
`bvsrem`), `>>` is arithmetic, a cast keeps the low bits and extends them: C's rules.
A test runs both evaluators on random expressions so the two cannot drift apart.
"""
from __future__ import annotations

import functools
import operator

import z3

from forkspec import ir
from forkspec.engines.symbolic import strings

WIDTH = 64


@functools.lru_cache(maxsize=1 << 14)
def bv(v: int):
    """A known value as a 64-bit vector (cached: building a Z3 constant is slow, and terms are immutable)."""
    return z3.BitVecVal(v, WIDTH)
from forkspec.engines.symbolic.program import NotEncoded
from forkspec.frontend.lower import eval_binop, wrap


class Chars:
    """A char array's value whose bytes are not all known (`symbolic.chars`): `length`
    characters, byte i in bits 8i..8i+7 of `bits`."""

    __slots__ = ("bits", "length")

    def __init__(self, bits, length: int):
        self.bits, self.length = bits, length

    def byte(self, i: int):
        return z3.ZeroExt(WIDTH - 8, z3.Extract(8 * i + 7, 8 * i, self.bits)) if i < self.length else bv(0)


def is_sym(v) -> bool:
    return isinstance(v, z3.ExprRef)


def as_int(v):
    """A value as an integer: Python int, or a Z3 bit-vector (booleans become 0/1)."""
    if isinstance(v, z3.BoolRef):
        return z3.If(v, bv(1), bv(0))
    return v


def truth(v):
    """C truth of a value: True/False when known, else a Z3 Bool."""
    if isinstance(v, z3.BoolRef):
        return v
    if isinstance(v, z3.ExprRef):
        return v != 0
    if isinstance(v, str):
        return True  # a non-null char pointer
    return v != 0


def wrap_sym(v, bits: int, signed: bool):
    """A conversion to a C integer type: the low `bits`, sign- or zero-extended."""
    if not is_sym(v):
        return wrap(v, bits, signed) if isinstance(v, int) else v
    v = as_int(v)
    if bits >= WIDTH:
        return v
    low = z3.Extract(bits - 1, 0, v)
    return z3.SignExt(WIDTH - bits, low) if signed else z3.ZeroExt(WIDTH - bits, low)


class Split(Exception):
    """The value depends on a condition the encoding keeps apart (a string chosen by `c ? "a"
    : "b"`, the cell a computed address names): the step splits its path on `cond` and runs
    the instruction again on each part, where `assumed(key)` answers it."""

    def __init__(self, key, cond, beyond: str = ""):
        self.key, self.cond = key, cond
        self.beyond = beyond  # why the side where `cond` fails is beyond the encoding, if it is
        super().__init__()


class Evaluator:
    """Evaluates IR expressions in one activation: `temp(i)`, `load(key)` and `address_key(addr)`
    come from the caller (the symbolic process), so memory is the encoding's."""

    def __init__(self, ctx, where=None):
        self.ctx = ctx
        self.line = where  # the instruction's source position, for refusals

    def refuse(self, what: str):
        raise NotEncoded(what, self.line)

    def few(self, v, key, most: int = 4):
        """A symbolic number that can take only a few values (a comparison's 0 or 1, an
        if-then-else of constants) as a known one, the path split on which: printing it is
        then known text, not digits of unknown length (`symbolic.stdio`)."""
        leaves = _leaves(z3.simplify(as_int(v)), most) if is_sym(v) else None
        if not leaves:
            return v
        for j, n in enumerate(leaves[:-1]):
            known = self.ctx.assumed(("few", key, j))
            if known is None:
                raise Split(("few", key, j), as_int(v) == n)
            if known:
                return n
        return leaves[-1]

    def string(self, v, key):
        """The text a value names where a string is needed: a number kept for a literal
        (`symbolic.strings`) decoded, the path split on which literal it names (`key` tells
        this use's splits apart); anything else as it is."""
        table = self.ctx.strings()
        if not (is_sym(v) or isinstance(v, int)):
            return v
        t = z3.simplify(v) if is_sym(v) else v
        if isinstance(t, int) or z3.is_bv_value(t):  # a known number: its literal, or a path beyond
            v = strings.text_of(table, t if isinstance(t, int) else t.as_long())
            if isinstance(v, str):
                return v
        if self.ctx.assumed(("str", key)) is None:
            named = z3.BoolVal(False) if isinstance(v, int) else strings.named(table, v)
            raise Split(("str", key), named, "a value that names no string where one is needed")
        for i, text in enumerate(table[:-1]):
            known = self.ctx.assumed(("str", key, i))
            if known is None:
                raise Split(("str", key, i), v == strings.BASE + i)
            if known:
                return text
        return table[-1]

    def eval(self, e):
        if isinstance(e, ir.Const):
            return e.value
        if isinstance(e, ir.Temp):
            return self.ctx.temp(e.index)
        if isinstance(e, ir.Cell):
            return self.ctx.load(self.ctx.cell_key(e))
        if isinstance(e, ir.AddrOf):
            return self.ctx.cell_address(e.cell)
        if isinstance(e, ir.Deref):
            addr = self.eval(e.addr)
            if is_sym(addr):
                return self.ctx.load_at(id(e), addr, e.addr)
            if not isinstance(addr, int):
                self.refuse("a pointer dereference through something that is not an address")
            return self.ctx.load(self.ctx.address_key(addr))
        if isinstance(e, ir.Wrap):
            return wrap_sym(self.eval(e.operand), e.bits, e.signed)
        if isinstance(e, ir.Cond):
            c = truth(self.eval(e.cond))
            if isinstance(c, bool):
                return self.eval(e.then) if c else self.eval(e.other)
            a, b = self.eval(e.then), self.eval(e.other)
            if isinstance(a, (str, Chars)) or isinstance(b, (str, Chars)):
                known = self.ctx.assumed(("cond", id(e)))
                if known is None:
                    raise Split(("cond", id(e)), c)
                return a if known else b
            return z3.If(c, _vec(a), _vec(b))
        if isinstance(e, ir.UnOp):
            v = self.eval(e.operand)
            return self.unop(e.op, self.string(v, id(e)) if e.op == "strlen" else v)
        if isinstance(e, ir.BinOp):
            a, b = self.eval(e.left), self.eval(e.right)
            if e.op == "strcmp":
                a, b = self.string(a, (id(e), 0)), self.string(b, (id(e), 1))
            return self.binop(e.op, a, b)
        if isinstance(e, ir.StrIndex):
            s, i = self.string(self.eval(e.string), id(e)), self.eval(e.index)
            if isinstance(s, Chars) and isinstance(i, int) and 0 <= i <= s.length:
                return s.byte(i)
            if is_sym(s) or is_sym(i) or not isinstance(s, str):
                self.refuse("indexing a string at a symbolic position")
            if not 0 <= i <= len(s):
                self.refuse("a string index out of bounds")
            return ord(s[i]) if i < len(s) else 0
        self.refuse(f"the expression {type(e).__name__}")

    def unop(self, op: str, v):
        if isinstance(v, Chars):
            self.refuse(f"the operator {op} on a char array whose bytes are not known")
        if not is_sym(v):
            from forkspec.kernel.evaluate import _strlen, _truth

            table = {"-": lambda: -v, "!": lambda: 0 if _truth(v) else 1, "!!": lambda: 1 if _truth(v) else 0,
                     "~": lambda: ~v, "abs": lambda: abs(v), "strlen": lambda: _strlen(v)}
            if op not in table:
                self.refuse(f"the operator {op}")
            return table[op]()
        if op == "!":
            return z3.Not(truth(v))
        if op == "!!":
            return truth(v)
        x = as_int(v)
        if op == "-":
            return -x
        if op == "~":
            return ~x
        if op == "abs":
            return z3.If(x >= 0, x, -x)
        self.refuse(f"the operator {op} on a symbolic value")

    def binop(self, op: str, a, b):
        if isinstance(a, Chars) or isinstance(b, Chars):
            self.refuse(f"the operator {op} on a char array whose bytes are not known")
        if not is_sym(a) and not is_sym(b):
            return self.concrete_binop(op, a, b)
        if op == "&&":
            return z3.And(_as_bool(truth(a)), _as_bool(truth(b)))
        if op == "||":
            return z3.Or(_as_bool(truth(a)), _as_bool(truth(b)))
        if isinstance(a, str) or isinstance(b, str):
            if op not in ("==", "!="):
                self.refuse(f"the operator {op} between a string and a symbolic value")
            known, other = (a, b) if isinstance(a, str) else (b, a)
            n = strings.number(self.ctx.strings(), known)  # kernel: equal texts (none: no variable holds it)
            same = z3.BoolVal(False) if n is None else _vec(other) == n
            return same if op == "==" else z3.Not(same)
        x, y = _vec(a), _vec(b)
        if op in ("/", "%"):
            if is_sym(b) or b == 0:
                self.refuse(f"the operator {op} with a symbolic or zero divisor")
            return x / y if op == "/" else z3.SRem(x, y)  # bvsdiv, bvsrem: C's truncation
        if op in ("<<", ">>") and (is_sym(b) or not 0 <= b < WIDTH):
            self.refuse("a shift by a symbolic or out-of-range amount")
        if op not in _BV_OPS:
            self.refuse(f"the operator {op} on a symbolic value")
        return _BV_OPS[op](x, y)  # on bit-vectors: signed comparisons, arithmetic >>

    def concrete_binop(self, op: str, a, b):
        """The kernel's meaning of `op` on known values (`forkspec.kernel.evaluate`)."""
        from forkspec.kernel.evaluate import _strcmp, _truth

        if op == "&&":
            return 1 if _truth(a) and _truth(b) else 0
        if op == "||":
            return 1 if _truth(a) or _truth(b) else 0
        if op == "strcmp":
            return _strcmp(a, b)
        if op in ("/", "%") and b == 0:
            self.refuse("a division by zero (SIGFPE)")
        try:
            return eval_binop(op, a, b)
        except KeyError:
            self.refuse(f"the operator {op}")


_BV_OPS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "==": operator.eq, "!=": operator.ne,
           "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "&": operator.and_,
           "|": operator.or_, "^": operator.xor, "<<": operator.lshift, ">>": operator.rshift}


def _leaves(t, most: int):
    """The signed constants at the leaves of an if-then-else tree, or None (not such a tree, or more than `most`)."""
    out, todo = [], [t]
    while todo:
        e = todo.pop()
        if z3.is_bv_value(e):
            if e.as_signed_long() not in out:
                out.append(e.as_signed_long())
        elif z3.is_app_of(e, z3.Z3_OP_ITE):
            todo += [e.arg(2), e.arg(1)]
        else:
            return None
        if len(out) > most:
            return None
    return out


def _vec(v):
    v = as_int(v)
    return bv(v) if isinstance(v, int) else v


def _as_bool(t):
    return z3.BoolVal(t) if isinstance(t, bool) else t
