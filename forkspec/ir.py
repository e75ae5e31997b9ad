"""The intermediate representation: one instruction list per function.

The front end lowers C into this form; the kernel interprets it. Instructions are
plain frozen values with integer jump targets, so a process's position is just
(function, pc). Expressions are side-effect free trees: every call, assignment and
increment has already been split out into its own instruction, which is what lets
a `fork()` return in the middle of `fork() && fork() || fork()`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

# ---------------------------------------------------------------- expressions


@dataclass(frozen=True, slots=True)
class Const:
    value: int | str


@dataclass(frozen=True, slots=True)
class Temp:
    """A compiler temporary: a register of the current frame."""

    index: int


@dataclass(frozen=True, slots=True)
class Cell:
    """A variable's storage: `region` is 'global' or 'local'; `slot` is its cell index."""

    region: str
    slot: int


@dataclass(frozen=True, slots=True)
class AddrOf:
    """The address of a variable cell (what `&x` or an array name evaluates to)."""

    cell: Cell


@dataclass(frozen=True, slots=True)
class Deref:
    """The cell at an address computed at run time (`*p`, `p[i]`, `a[i]`)."""

    addr: "Expr"


@dataclass(frozen=True, slots=True)
class BinOp:
    op: str
    left: "Expr"
    right: "Expr"


@dataclass(frozen=True, slots=True)
class UnOp:
    op: str
    operand: "Expr"


@dataclass(frozen=True, slots=True)
class Cond:
    """`c ? a : b` where all three are pure."""

    cond: "Expr"
    then: "Expr"
    other: "Expr"


@dataclass(frozen=True, slots=True)
class Wrap:
    """Convert to a C integer type: `bits` wide, signed or not (a cast or a store)."""

    bits: int
    signed: bool
    operand: "Expr"


@dataclass(frozen=True, slots=True)
class StrIndex:
    """`s[i]` where s is a string value (a char array or a char pointer)."""

    string: "Expr"
    index: "Expr"


Expr = Union[Const, Temp, Cell, AddrOf, Deref, BinOp, UnOp, Cond, Wrap, StrIndex]

# ---------------------------------------------------------------- instructions


@dataclass(frozen=True, slots=True)
class Loc:
    """Where an instruction came from: line, column and the source text of the statement."""

    line: int
    col: int
    text: str = ""


NOLOC = Loc(0, 0, "")


@dataclass(frozen=True, slots=True)
class SetTemp:
    dst: int
    value: Expr
    loc: Loc = NOLOC


@dataclass(frozen=True, slots=True)
class Store:
    """Write `value` to a cell: `target` is a Cell or a Deref; `wrap` converts to the cell's type."""

    target: Union[Cell, Deref]
    value: Expr
    loc: Loc = NOLOC


@dataclass(frozen=True, slots=True)
class StoreChar:
    """`s[i] = c` on a char array cell (strings are values)."""

    target: Union[Cell, Deref]
    index: Expr
    value: Expr
    loc: Loc = NOLOC


@dataclass(frozen=True, slots=True)
class Jump:
    target: int
    loc: Loc = NOLOC


@dataclass(frozen=True, slots=True)
class Branch:
    """Go to `if_true` when `cond` is non-zero, else to `if_false`."""

    cond: Expr
    if_true: int
    if_false: int
    loc: Loc = NOLOC


@dataclass(frozen=True, slots=True)
class Call:
    """Call a user function (by index) or, with `indirect`, the function whose address is in `func`."""

    dst: int | None
    func: Union[int, Expr]
    args: tuple[Expr, ...]
    loc: Loc = NOLOC


@dataclass(frozen=True, slots=True)
class Return:
    value: Expr | None
    loc: Loc = NOLOC


@dataclass(frozen=True, slots=True)
class Builtin:
    """A libc function or system call, by name, with evaluated arguments."""

    dst: int | None
    name: str
    args: tuple[Expr, ...]
    loc: Loc = NOLOC


Instr = Union[SetTemp, Store, StoreChar, Jump, Branch, Call, Return, Builtin]

# ---------------------------------------------------------------- program


@dataclass(frozen=True)
class Function:
    name: str
    params: tuple[int, ...]  # local slots that receive the arguments, in order
    param_wraps: tuple[tuple[int, bool] | None, ...]
    nlocals: int
    ntemps: int
    body: tuple[Instr, ...]
    live_out: tuple[tuple[int, ...], ...] = ()  # per instruction: temps still needed after it
    loc: Loc = NOLOC


@dataclass(frozen=True)
class GlobalVar:
    name: str
    slot: int
    size: int  # cells


@dataclass(frozen=True)
class Program:
    """A lowered C program: functions by index, initial global cells, where main is."""

    path: str
    source: str
    functions: tuple[Function, ...]
    function_index: dict = field(hash=False, compare=False)
    globals_init: tuple = ()
    global_vars: tuple[GlobalVar, ...] = ()
    main: int = 0
    exit_routine: int = 0  # index of the synthesized libc exit sequence
    images: tuple = field(default=(), hash=False, compare=False)  # (name, Program): what exec can run


    def function(self, name: str) -> Function:
        return self.functions[self.function_index[name]]

    def line_text(self, line: int) -> str:
        lines = self.source.splitlines()
        return lines[line - 1].strip() if 0 < line <= len(lines) else ""


# Address-space layout (x86-64 Linux flavoured; only equality of addresses is observable).
CELL = 8
PAGE = 4096
CELLS_PER_PAGE = PAGE // CELL
DATA_BASE = 0x404000
STACK_BASE = 0x7FFD_1000_0000
MMAP_BASE = 0x7F3A_2000_0000
FUNC_BASE = 0x401000  # function "addresses", for atexit and %p
FUNC_STRIDE = 0x40
STREAM_BASE = 0x7F3A_1000_0000  # stdin, stdout, stderr FILE* values

ERRNO_SLOT = 0  # errno lives in the first global cell
