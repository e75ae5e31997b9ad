"""Pure expressions of the IR, compiled once into Python closures.

A closure takes the running process's scratch context (`Exec`) and returns a value;
memory reads go through the context, so page tables and copy-on-write apply.
"""
from __future__ import annotations

from forkspec import ir
from forkspec.errors import ModelError
from forkspec.frontend.lower import c_div, wrap

_cache: dict[int, object] = {}
_keep: list = []  # keep compiled IR nodes alive so their ids stay unique


def compiled(e: ir.Expr):
    fn = _cache.get(id(e))
    if fn is None:
        fn = _compile(e)
        _cache[id(e)] = fn
        _keep.append(e)
    return fn


def _compile(e):
    if isinstance(e, ir.Const):
        v = e.value
        return lambda x: v
    if isinstance(e, ir.Temp):
        i = e.index
        return lambda x: x.temps[i]
    if isinstance(e, ir.Cell):
        slot = e.slot
        if e.region == "global":
            addr = ir.DATA_BASE + slot * ir.CELL
            return lambda x: x.load(addr)
        return lambda x: x.load(ir.STACK_BASE + (x.base + slot) * ir.CELL)
    if isinstance(e, ir.AddrOf):
        slot = e.cell.slot
        if e.cell.region == "global":
            addr = ir.DATA_BASE + slot * ir.CELL
            return lambda x: addr
        return lambda x: ir.STACK_BASE + (x.base + slot) * ir.CELL
    if isinstance(e, ir.Deref):
        fa = compiled(e.addr)
        return lambda x: x.load(fa(x))
    if isinstance(e, ir.Wrap):
        f = compiled(e.operand)
        bits, signed = e.bits, e.signed

        def _wrap(x):
            v = f(x)
            return wrap(v, bits, signed) if isinstance(v, int) else v

        return _wrap
    if isinstance(e, ir.Cond):
        fc, fa, fb = compiled(e.cond), compiled(e.then), compiled(e.other)
        return lambda x: fa(x) if _truth(fc(x)) else fb(x)
    if isinstance(e, ir.StrIndex):
        fs, fi = compiled(e.string), compiled(e.index)

        def _index(x):
            s, i = fs(x), fi(x)
            if not isinstance(s, str):
                raise ModelError("indexing a value that is not a string")
            if not 0 <= i <= len(s):
                raise ModelError(f"string index {i} is out of bounds (length {len(s)})")
            return ord(s[i]) if i < len(s) else 0

        return _index
    if isinstance(e, ir.UnOp):
        f = compiled(e.operand)
        op = e.op
        if op == "-":
            return lambda x: -f(x)
        if op == "!":
            return lambda x: 0 if _truth(f(x)) else 1
        if op == "!!":
            return lambda x: 1 if _truth(f(x)) else 0
        if op == "~":
            return lambda x: ~f(x)
        if op == "abs":
            return lambda x: abs(f(x))
        if op == "strlen":
            return lambda x: _strlen(f(x))
        raise KeyError(op)
    if isinstance(e, ir.BinOp):
        fa, fb = compiled(e.left), compiled(e.right)
        op = e.op
        if op == "&&":
            return lambda x: 1 if _truth(fa(x)) and _truth(fb(x)) else 0
        if op == "||":
            return lambda x: 1 if _truth(fa(x)) or _truth(fb(x)) else 0
        if op == "+":
            return lambda x: fa(x) + fb(x)
        if op == "-":
            return lambda x: fa(x) - fb(x)
        if op == "*":
            return lambda x: fa(x) * fb(x)
        if op == "==":
            return lambda x: 1 if fa(x) == fb(x) else 0
        if op == "!=":
            return lambda x: 1 if fa(x) != fb(x) else 0
        if op == "<":
            return lambda x: 1 if fa(x) < fb(x) else 0
        if op == "<=":
            return lambda x: 1 if fa(x) <= fb(x) else 0
        if op == ">":
            return lambda x: 1 if fa(x) > fb(x) else 0
        if op == ">=":
            return lambda x: 1 if fa(x) >= fb(x) else 0
        if op in ("/", "%"):
            def _div(x, op=op):
                a, b = fa(x), fb(x)
                if b == 0:
                    raise ZeroDivisionError
                q = c_div(a, b)
                return q if op == "/" else a - b * q

            return _div
        if op == "&":
            return lambda x: fa(x) & fb(x)
        if op == "|":
            return lambda x: fa(x) | fb(x)
        if op == "^":
            return lambda x: fa(x) ^ fb(x)
        if op == "<<":
            return lambda x: fa(x) << fb(x)
        if op == ">>":
            return lambda x: fa(x) >> fb(x)
        if op == "strcmp":
            return lambda x: _strcmp(fa(x), fb(x))
        raise KeyError(op)
    raise TypeError(f"not an expression: {e!r}")


def _truth(v) -> bool:
    if isinstance(v, str):
        return True  # a non-null char pointer
    return v != 0


def _strlen(s) -> int:
    if not isinstance(s, str):
        raise ModelError("strlen of a value that is not a string")
    n = s.find("\0")
    return len(s) if n < 0 else n


def _strcmp(a, b) -> int:
    if not isinstance(a, str) or not isinstance(b, str):
        raise ModelError("strcmp of a value that is not a string")
    a, b = a.split("\0", 1)[0], b.split("\0", 1)[0]
    return (a > b) - (a < b)


def reads_memory_indirectly(e) -> bool:
    """Does the expression dereference a run-time address (which may be a shared mapping)?"""
    if isinstance(e, ir.Deref):
        return True
    for name in ("left", "right", "operand", "cond", "then", "other", "string", "index", "addr", "value", "target"):
        sub = getattr(e, name, None)
        if sub is not None and not isinstance(sub, (int, str)) and reads_memory_indirectly(sub):
            return True
    for a in getattr(e, "args", ()) or ():
        if reads_memory_indirectly(a):
            return True
    return False
