"""String values kept in variables: a number naming one of the program's string literals.

In the kernel a `char *` variable holds its string as a value (a Python str), and the
only strings a program can keep in a variable are the literals its code stores, passes,
returns or starts a global with (no builtin the encoding follows makes a new one). So a
cell or a temp that holds a string holds, in the encoding, `BASE + i` for literal i of a
table fixed when the program is laid out (equal texts share one number, as the kernel
compares strings by content). A use that needs the text (printf's %s, puts, exec's path
and argv, strcmp) splits its path on which literal the number names (`Evaluator.string`),
and a path where it names none (NULL, a number) is beyond the encoding, where the kernel
would stop with an error. Truth (`if (s)`) and `==`/`!=` need no split: every number is
non-zero, and two are equal exactly when their texts are.
"""
from __future__ import annotations

import z3

from forkspec import ir

BASE = 0x5354_5200_0000  # far from every address, pid or small number a program computes
# the instructions whose values may end up in a variable (a builtin's arguments do not)
KEPT = (ir.Store, ir.SetTemp, ir.Call, ir.Return)


def literals(program: ir.Program) -> tuple[str, ...]:
    """The table: every string literal a variable may come to hold, in a fixed order: the
    program's and those of every image it may exec (the same table before and after
    `exec.merge` appends them)."""
    found: set = set()
    for prog in [program] + [image for _, image in program.images]:
        found.update(v for v in prog.globals_init if isinstance(v, str))
        for fn in prog.functions:
            for ins in fn.body:
                if isinstance(ins, KEPT):
                    _collect(ins, found)
    return tuple(sorted(found))


def _collect(e, found: set) -> None:
    if isinstance(e, ir.Const):
        if isinstance(e.value, str):
            found.add(e.value)
        return
    for name in ("left", "right", "operand", "cond", "then", "other", "value", "addr"):
        sub = getattr(e, name, None)
        if sub is not None and not isinstance(sub, (int, str)):
            _collect(sub, found)
    for a in getattr(e, "args", ()) or ():
        _collect(a, found)


def number(table: tuple, text: str):
    """The number a literal is kept as, or None when the table has no such text."""
    try:
        return BASE + table.index(text)
    except ValueError:
        return None


def text_of(table: tuple, v: int):
    """A known number's literal, or the number itself when it names none (NULL, an int)."""
    i = v - BASE
    return table[i] if 0 <= i < len(table) else v


def named(table: tuple, v) -> z3.BoolRef:
    """The value names one of the literals."""
    return z3.And(z3.UGE(v, BASE), z3.ULT(v, BASE + len(table))) if table else z3.BoolVal(False)
