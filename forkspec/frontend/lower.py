"""Lower pycparser's AST to the IR: one instruction list per function.

Pure subexpressions stay trees; anything with an effect (a call, an assignment, an
increment) becomes its own instruction with a temporary holding its value. `&&`,
`||` and `?:` with effects on the right become branches, so short-circuit
evaluation is exact. Every construct outside the subset is refused with its
position and the list of what is supported.
"""
from __future__ import annotations

from dataclasses import dataclass

from pycparser import c_ast

from forkspec import ir
from forkspec.errors import ForkspecError, Span, UnsupportedError
from forkspec.frontend import ctypes as ct
from forkspec.frontend.ctypes import CType

SUPPORTED_STATEMENTS = "if/else, while, do, for, switch, break, continue, return, goto, blocks, declarations, expressions"


@dataclass
class Symbol:
    kind: str  # local | global | func | const
    ctype: CType
    slot: int = 0
    value: int = 0


class Unsupported(UnsupportedError):
    pass


def _span(path: str, node) -> Span | None:
    c = getattr(node, "coord", None)
    if c is None or c.line is None:
        return None
    return Span(path, c.line, c.column or 1)


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v",
            "\\": "\\", "'": "'", '"': '"', "?": "?", "e": "\x1b"}


def decode_c_string(body: str) -> str:
    """Decode the escapes of a C string or char literal body (quotes removed)."""
    out, i = [], 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        i += 1
        e = body[i] if i < len(body) else ""
        if e in _ESCAPES:
            out.append(_ESCAPES[e])
            i += 1
        elif e == "x":
            j = i + 1
            while j < len(body) and body[j] in "0123456789abcdefABCDEF":
                j += 1
            out.append(chr(int(body[i + 1 : j], 16) & 0xFF))
            i = j
        elif e.isdigit():
            j = i
            while j < len(body) and j < i + 3 and body[j] in "01234567":
                j += 1
            out.append(chr(int(body[i:j], 8) & 0xFF))
            i = j
        else:
            out.append(e)
            i += 1
    return "".join(out)


def parse_int_literal(text: str) -> int:
    t = text.rstrip("uUlL")
    if t.lower().startswith("0x"):
        return int(t, 16)
    if t.lower().startswith("0b"):
        return int(t, 2)
    if len(t) > 1 and t.startswith("0"):
        return int(t, 8)
    return int(t)


class FunctionBuilder:
    """Collects one function's instructions, temps and locals while lowering."""

    def __init__(self, name: str, return_type: CType):
        self.name = name
        self.return_type = return_type
        self.code: list = []
        self.nlocals = 0
        self.ntemps = 0
        self.labels: dict[str, int] = {}
        self.gotos: list[tuple[int, str, c_ast.Node]] = []

    def emit(self, instr) -> int:
        self.code.append(instr)
        return len(self.code) - 1

    def here(self) -> int:
        return len(self.code)

    def temp(self) -> int:
        self.ntemps += 1
        return self.ntemps - 1

    def local(self, cells: int) -> int:
        slot = self.nlocals
        self.nlocals += cells
        return slot

    def patch(self, at: int, **changes) -> None:
        old = self.code[at]
        fields = {f: getattr(old, f) for f in old.__dataclass_fields__}
        fields.update(changes)
        self.code[at] = type(old)(**fields)


class Lowerer:
    def __init__(self, path: str, source: str):
        self.path = path
        self.source_lines = source.splitlines()
        self.globals: dict[str, Symbol] = {}
        self.global_cells: list = [0]  # cell 0 is errno
        self.global_vars: list[ir.GlobalVar] = [ir.GlobalVar("errno", 0, 1)]
        self.functions: list[ir.Function | None] = []
        self.function_index: dict[str, int] = {}
        self.function_types: dict[str, CType] = {}
        self.scopes: list[dict[str, Symbol]] = []
        self.fb: FunctionBuilder | None = None
        self.loops: list[tuple[list[int], list[int]]] = []  # (break jumps, continue jumps)
        self.stmt_loc = ir.NOLOC

    # ------------------------------------------------------------ errors

    def unsupported(self, what: str, node, supported: str = "") -> Unsupported:
        notes = (f"supported: {supported}",) if supported else ()
        return Unsupported(what, _span(self.path, node), notes)

    def error(self, what: str, node) -> ForkspecError:
        return ForkspecError(what, _span(self.path, node))

    def loc(self, node) -> ir.Loc:
        c = getattr(node, "coord", None)
        if c is None or c.line is None:
            return self.stmt_loc
        text = self.source_lines[c.line - 1].strip() if 0 < c.line <= len(self.source_lines) else ""
        return ir.Loc(c.line, c.column or 1, text)

    # ------------------------------------------------------------ program

    def lower(self, ast: c_ast.FileAST) -> ir.Program:
        defs = []
        for ext in ast.ext:
            if isinstance(ext, c_ast.FuncDef):
                self._declare_function(ext.decl, defined=True)
                defs.append(ext)
            elif isinstance(ext, c_ast.Decl):
                if isinstance(ext.type, c_ast.FuncDecl):
                    self._declare_function(ext, defined=False)
                else:
                    self._global(ext)
            elif isinstance(ext, c_ast.Typedef):
                continue
            elif isinstance(ext, c_ast.Pragma):
                continue
            else:
                raise self.unsupported(f"top-level {type(ext).__name__}", ext, "function definitions and global declarations")
        exit_index = len(self.functions)
        self.functions.append(None)
        self.function_index["__libc_exit"] = exit_index
        for fd in defs:
            self.functions[self.function_index[fd.decl.name]] = self._function(fd)
        self.functions[exit_index] = exit_routine()
        from forkspec.frontend.routines import ROUTINES

        for build in ROUTINES:
            routine = build()
            self.function_index[routine.name] = len(self.functions)
            self.functions.append(routine)
        for name, idx in self.function_index.items():
            if self.functions[idx] is None:
                raise Unsupported(f"function '{name}' is declared but never defined", None,
                                  (f"supported library calls: {', '.join(ct.SUPPORTED_CALLS)}",))
        if "main" not in self.function_index:
            raise Unsupported("the program has no main function", Span(self.path, 1, 1))
        funcs = tuple(self.functions)  # type: ignore[arg-type]
        return ir.Program(
            path=self.path,
            source="\n".join(self.source_lines),
            functions=funcs,
            function_index=dict(self.function_index),
            globals_init=tuple(self.global_cells),
            global_vars=tuple(self.global_vars),
            main=self.function_index["main"],
            exit_routine=exit_index,
        )

    def _declare_function(self, decl: c_ast.Decl, defined: bool) -> None:
        name = decl.name
        if name in ct.BUILTINS or name in ct.STATUS_MACROS or name in ct.PURE_FUNCTIONS:
            if defined:
                raise self.unsupported(f"redefining the library function '{name}'", decl)
            return
        if name not in self.function_index:
            self.function_index[name] = len(self.functions)
            self.functions.append(None)
            self.function_types[name] = self._type(decl.type.type, decl)

    def _global(self, decl: c_ast.Decl) -> None:
        if decl.name is None:
            if isinstance(decl.type, (c_ast.Struct, c_ast.Union, c_ast.Enum)):
                raise self.unsupported("struct, union and enum declarations", decl, "int, long, char, pointers, arrays")
            return
        if "extern" in (decl.storage or []):
            return
        ctype = self._type(decl.type, decl)
        slot = len(self.global_cells)
        values = self._static_init(decl, ctype)
        self.global_cells.extend(values)
        if ctype.kind == "str" and decl.init is not None and isinstance(decl.type, c_ast.ArrayDecl) and not ctype.length:
            ctype = CType("str", length=len(values[0]) + 1)
        self.globals[decl.name] = Symbol("global", ctype, slot)
        self.global_vars.append(ir.GlobalVar(decl.name, slot, len(values)))

    def _static_init(self, decl: c_ast.Decl, ctype: CType) -> list:
        init = decl.init
        if ctype.kind == "array":
            vals = [0] * ctype.length
            if init is not None:
                if not isinstance(init, c_ast.InitList):
                    raise self.unsupported("array initialiser that is not a { list }", init)
                for i, e in enumerate(init.exprs):
                    vals[i] = self._const_eval(e)
            return vals
        if ctype.kind == "str":
            if init is None:
                return ["\0" * max(ctype.length - 1, 0) if ctype.length else ""]
            if isinstance(init, c_ast.Constant) and init.type == "string":
                s = decode_c_string(init.value[1:-1])
                if ctype.length:
                    s = (s + "\0" * ctype.length)[: max(ctype.length - 1, 0)] if len(s) < ctype.length else s
                return [s]
            if isinstance(init, c_ast.ID) and init.name == "NULL" or self._is_zero(init):
                return [0]
            raise self.unsupported("char initialiser other than a string literal", init)
        if init is None:
            return [0]
        return [self._const_eval(init)]

    def _is_zero(self, node) -> bool:
        try:
            return self._const_eval(node) == 0
        except Exception:
            return False

    def _const_eval(self, node) -> int | str:
        """Evaluate a constant expression (global initialisers, array sizes, case labels)."""
        if isinstance(node, c_ast.Constant):
            if node.type == "string":
                return decode_c_string(node.value[1:-1])
            if node.type == "char":
                return ord(decode_c_string(node.value[1:-1]) or "\0")
            if node.type in ("int", "unsigned int", "long int", "unsigned long int", "long long int",
                             "unsigned long long int", "long", "unsigned long"):
                return parse_int_literal(node.value)
            raise self.unsupported(f"{node.type} constant", node, "integer, char and string constants")
        if isinstance(node, c_ast.ID):
            if node.name in ct.CONSTANTS:
                return ct.CONSTANTS[node.name]
            raise self.unsupported(f"non-constant initialiser '{node.name}'", node)
        if isinstance(node, c_ast.UnaryOp):
            if node.op == "sizeof":
                return self._sizeof(node.expr)
            v = self._const_eval(node.expr)
            return {"-": lambda: -v, "+": lambda: v, "~": lambda: ~v, "!": lambda: int(not v)}[node.op]()
        if isinstance(node, c_ast.BinaryOp):
            a, b = self._const_eval(node.left), self._const_eval(node.right)
            return int(eval_binop(node.op, a, b))
        if isinstance(node, c_ast.Cast):
            return self._const_eval(node.expr)
        raise self.unsupported(f"non-constant initialiser ({type(node).__name__})", node)

    # ------------------------------------------------------------ types

    def _type(self, node, where) -> CType:
        if isinstance(node, c_ast.TypeDecl):
            return self._base_type(node.type, where)
        if isinstance(node, c_ast.PtrDecl):
            inner = node.type
            if isinstance(inner, c_ast.FuncDecl):
                return ct.FUNC
            base = self._type(inner, where)
            if base.kind == "int" and base.bits == 8:
                return ct.STR
            if base.kind == "stream":
                return ct.STREAM
            return ct.ptr(base)
        if isinstance(node, c_ast.ArrayDecl):
            elem = self._type(node.type, where)
            length = 0
            if node.dim is not None:
                length = self._const_eval(node.dim)
                if not isinstance(length, int) or length <= 0:
                    raise self.unsupported("array size that is not a positive constant", node)
            if elem.kind == "int" and elem.bits == 8:
                return CType("str", length=length)
            if elem.kind not in ("int", "ptr", "str"):
                raise self.unsupported("array of this element type", node, "arrays of int, long, pointers")
            if not length:
                init = getattr(where, "init", None)
                if isinstance(init, c_ast.InitList):
                    length = len(init.exprs)
                else:
                    raise self.unsupported("array without a size", node)
            return CType("array", 64, True, elem, length)
        if isinstance(node, c_ast.FuncDecl):
            return self._type(node.type, where)
        raise self.unsupported(f"type {type(node).__name__}", where, "int, long, unsigned, char, pid_t, pointers, arrays")

    def _base_type(self, node, where) -> CType:
        if isinstance(node, c_ast.Struct) and node.name == "sigaction" and node.decls is None:
            return ct.SIGACTION
        if isinstance(node, c_ast.IdentifierType):
            names = [n for n in node.names if n not in ("signed", "const", "volatile")]
            unsigned = "unsigned" in node.names
            names = [n for n in names if n != "unsigned"] or ["int"]
            key = " ".join(names)
            if key == "void":
                return ct.VOID
            if key == "char":
                return ct.UCHAR if unsigned else ct.CHAR
            if key in ("short", "short int"):
                return ct.SHORT
            if key in ("long", "long int", "long long", "long long int", "size_t", "ssize_t", "off_t",
                       "pthread_t", "intptr_t", "uintptr_t", "int64_t", "uint64_t", "time_t", "sigset_t"):
                return ct.ULONG if unsigned or key in ("size_t", "uintptr_t", "uint64_t", "pthread_t") else ct.LONG
            if key in ("int", "pid_t", "mode_t", "uid_t", "gid_t", "bool", "_Bool", "pthread_mutex_t",
                       "int32_t", "uint32_t", "useconds_t", "sig_atomic_t", "pthread_attr_t",
                       "pthread_mutexattr_t", "idtype_t"):
                return ct.UINT if unsigned or key in ("mode_t", "uid_t", "gid_t", "uint32_t", "useconds_t") else ct.INT
            if key == "FILE":
                return ct.STREAM
            if key in ("sighandler_t",):
                return ct.FUNC
            if key in ("float", "double", "long double"):
                raise self.unsupported(f"floating-point type '{key}'", where, "int, long, unsigned, char, pid_t, pointers, arrays")
            raise self.unsupported(f"type '{key}'", where, "int, long, unsigned, char, pid_t, pointers, arrays")
        if isinstance(node, c_ast.Struct) and node.name == "flock" and node.decls is None:
            return ct.FLOCK
        if isinstance(node, c_ast.Struct):
            raise self.unsupported(f"struct {node.name or '(anonymous)'}", where, "struct flock (for fcntl record locks)")
        raise self.unsupported(f"{type(node).__name__} types", where, "int, long, unsigned, char, pid_t, pointers, arrays")

    def _sizeof(self, node) -> int:
        if isinstance(node, c_ast.Typename):
            return self._type(node.type, node).size
        if isinstance(node, c_ast.ID):
            sym = self._lookup(node.name, node)
            return sym.ctype.size
        if isinstance(node, c_ast.Constant) and node.type == "string":
            return len(decode_c_string(node.value[1:-1])) + 1
        return 4

    # ------------------------------------------------------------ scopes

    def _lookup(self, name: str, node) -> Symbol:
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        if name in self.globals:
            return self.globals[name]
        if name in self.function_index:
            return Symbol("func", ct.FUNC, value=ir.FUNC_BASE + self.function_index[name] * ir.FUNC_STRIDE)
        if name in ct.CONSTANTS:
            return Symbol("const", ct.INT, value=ct.CONSTANTS[name])
        if name in ct.STREAMS:
            return Symbol("const", ct.STREAM, value=ct.stream_value(ct.STREAMS[name]))
        if name == "errno":
            return Symbol("global", ct.INT, ir.ERRNO_SLOT)
        raise self.error(f"'{name}' is not declared", node)

    # ------------------------------------------------------------ functions

    def _function(self, fd: c_ast.FuncDef) -> ir.Function:
        name = fd.decl.name
        self.fb = fb = FunctionBuilder(name, self.function_types[name])
        self.scopes = [{}]
        params, wraps = [], []
        args = fd.decl.type.args
        for p in (args.params if args else []):
            if isinstance(p, c_ast.EllipsisParam):
                raise self.unsupported("variadic functions", p)
            if isinstance(p, c_ast.Typename):  # (void)
                continue
            if isinstance(p.type, c_ast.ArrayDecl):  # an array parameter is a pointer
                elem = self._type(p.type.type, p)
                ptype = ct.STR if elem.kind == "int" and elem.bits == 8 else ct.ptr(elem)
            else:
                ptype = self._type(p.type, p)
            slot = fb.local(1)
            self.scopes[-1][p.name] = Symbol("local", ptype, slot)
            params.append(slot)
            wraps.append((ptype.bits, ptype.signed) if ptype.kind == "int" else None)
        self.stmt_loc = self.loc(fd)
        self._stmt(fd.body)
        # Falling off the end returns 0 from main and garbage (0) from anything else.
        fb.emit(ir.Return(ir.Const(0) if name == "main" or fb.return_type.kind != "void" else None, self.loc(fd.body)))
        for at, label, node in fb.gotos:
            if label not in fb.labels:
                raise self.error(f"label '{label}' is not defined", node)
            fb.patch(at, target=fb.labels[label])
        body = tuple(fb.code)
        return ir.Function(name, tuple(params), tuple(wraps), fb.nlocals, fb.ntemps, body,
                           liveness(body, fb.ntemps), self.loc(fd))

    # ------------------------------------------------------------ statements

    def _stmt(self, node) -> None:
        fb = self.fb
        if node is None or isinstance(node, c_ast.EmptyStatement):
            return
        if isinstance(node, c_ast.Compound):
            self.scopes.append({})
            for item in node.block_items or []:
                self._stmt(item)
            self.scopes.pop()
            return
        self.stmt_loc = self.loc(node)
        if isinstance(node, c_ast.Decl):
            self._local_decl(node)
        elif isinstance(node, c_ast.DeclList):
            for d in node.decls:
                self._local_decl(d)
        elif isinstance(node, c_ast.If):
            cond = self._cond(node.cond)
            br = fb.emit(ir.Branch(cond, fb.here() + 1, -1, self.loc(node)))
            self._stmt(node.iftrue)
            if node.iffalse is not None:
                skip = fb.emit(ir.Jump(-1, self.loc(node)))
                fb.patch(br, if_false=fb.here())
                self._stmt(node.iffalse)
                fb.patch(skip, target=fb.here())
            else:
                fb.patch(br, if_false=fb.here())
        elif isinstance(node, c_ast.While):
            top = fb.here()
            cond = self._cond(node.cond)
            br = fb.emit(ir.Branch(cond, fb.here() + 1, -1, self.loc(node)))
            self._loop_body(node.stmt, cont_target=top)
            fb.emit(ir.Jump(top, self.loc(node)))
            fb.patch(br, if_false=fb.here())
            self._close_loop(fb.here())
        elif isinstance(node, c_ast.DoWhile):
            top = fb.here()
            self.loops.append(([], []))
            self._stmt(node.stmt)
            breaks, conts = self.loops[-1]
            cont_at = fb.here()
            for c in conts:
                fb.patch(c, target=cont_at)
            self.stmt_loc = self.loc(node.cond)
            cond = self._cond(node.cond)
            fb.emit(ir.Branch(cond, top, fb.here() + 1, self.loc(node.cond)))
            self.loops.pop()
            for b in breaks:
                fb.patch(b, target=fb.here())
        elif isinstance(node, c_ast.For):
            self.scopes.append({})
            if node.init is not None:
                if isinstance(node.init, (c_ast.DeclList, c_ast.Decl)):
                    self._stmt(node.init)
                else:
                    self._effect(node.init)
            top = fb.here()
            br = None
            if node.cond is not None:
                self.stmt_loc = self.loc(node.cond)
                cond = self._cond(node.cond)
                br = fb.emit(ir.Branch(cond, fb.here() + 1, -1, self.loc(node)))
            self.loops.append(([], []))
            self._stmt(node.stmt)
            breaks, conts = self.loops.pop()
            cont_at = fb.here()
            for c in conts:
                fb.patch(c, target=cont_at)
            if node.next is not None:
                self.stmt_loc = self.loc(node.next)
                self._effect(node.next)
            fb.emit(ir.Jump(top, self.loc(node)))
            end = fb.here()
            if br is not None:
                fb.patch(br, if_false=end)
            for b in breaks:
                fb.patch(b, target=end)
            self.scopes.pop()
        elif isinstance(node, c_ast.Switch):
            self._switch(node)
        elif isinstance(node, c_ast.Break):
            if not self.loops:
                raise self.error("break outside a loop or switch", node)
            self.loops[-1][0].append(fb.emit(ir.Jump(-1, self.loc(node))))
        elif isinstance(node, c_ast.Continue):
            for breaks, conts in reversed(self.loops):
                if conts is not None:
                    conts.append(fb.emit(ir.Jump(-1, self.loc(node))))
                    break
            else:
                raise self.error("continue outside a loop", node)
        elif isinstance(node, c_ast.Return):
            value = None
            if node.expr is not None:
                value, _ = self._expr(node.expr)
                if fb.return_type.kind == "int":
                    value = ir.Wrap(fb.return_type.bits, fb.return_type.signed, value)
            fb.emit(ir.Return(value, self.loc(node)))
        elif isinstance(node, c_ast.Label):
            fb.labels[node.name] = fb.here()
            self._stmt(node.stmt)
        elif isinstance(node, c_ast.Goto):
            fb.gotos.append((fb.emit(ir.Jump(-1, self.loc(node))), node.name, node))
        elif isinstance(node, (c_ast.Case, c_ast.Default)):
            raise self.error("case label outside a switch", node)
        elif isinstance(node, c_ast.Typedef):
            raise self.unsupported("typedef inside a function", node)
        else:
            self._effect(node)

    def _loop_body(self, body, cont_target: int) -> None:
        self.loops.append(([], []))
        self._stmt(body)
        for c in self.loops[-1][1]:
            self.fb.patch(c, target=cont_target)

    def _close_loop(self, end: int) -> None:
        breaks, _ = self.loops.pop()
        for b in breaks:
            self.fb.patch(b, target=end)

    def _switch(self, node: c_ast.Switch) -> None:
        fb = self.fb
        value, _ = self._expr(node.cond)
        t = fb.temp()
        fb.emit(ir.SetTemp(t, value, self.loc(node)))
        items = node.stmt.block_items if isinstance(node.stmt, c_ast.Compound) else [node.stmt]
        dispatch = []  # (branch index, case value node)
        for item in items or []:
            if isinstance(item, c_ast.Case):
                v = self._const_eval(item.expr)
                dispatch.append((fb.emit(ir.Branch(ir.BinOp("==", ir.Temp(t), ir.Const(v)), -1, fb.here() + 1, self.loc(item))), item))
        to_default = fb.emit(ir.Jump(-1, self.loc(node)))
        self.loops.append(([], None))  # continue passes through a switch
        self.scopes.append({})
        default_at = None
        case_targets = {}
        for item in items or []:
            if isinstance(item, (c_ast.Case, c_ast.Default)):
                if isinstance(item, c_ast.Default):
                    default_at = fb.here()
                else:
                    case_targets[id(item)] = fb.here()
                for s in item.stmts or []:
                    self._stmt(s)
            else:
                self._stmt(item)
        self.scopes.pop()
        end = fb.here()
        for at, item in dispatch:
            fb.patch(at, if_true=case_targets[id(item)])
        fb.patch(to_default, target=default_at if default_at is not None else end)
        breaks, _ = self.loops.pop()
        for b in breaks:
            fb.patch(b, target=end)

    def _local_decl(self, decl: c_ast.Decl) -> None:
        fb = self.fb
        if decl.name is None:
            raise self.unsupported("struct, union and enum declarations", decl, "int, long, char, pointers, arrays")
        if isinstance(decl.type, c_ast.FuncDecl):
            self._declare_function(decl, defined=False)
            return
        ctype = self._type(decl.type, decl)
        if ctype.kind == "str" and isinstance(decl.type, c_ast.ArrayDecl) and not ctype.length:
            if isinstance(decl.init, c_ast.Constant) and decl.init.type == "string":
                ctype = CType("str", length=len(decode_c_string(decl.init.value[1:-1])) + 1)
        static = "static" in (decl.storage or [])
        if static:
            slot = len(self.global_cells)
            values = self._static_init(decl, ctype)
            self.global_cells.extend(values)
            self.global_vars.append(ir.GlobalVar(f"{fb.name}.{decl.name}", slot, len(values)))
            self.scopes[-1][decl.name] = Symbol("global", ctype, slot)
            return
        slot = fb.local(ctype.cells)
        sym = Symbol("local", ctype, slot)
        self.scopes[-1][decl.name] = sym
        loc = self.loc(decl)
        init = decl.init
        if ctype.kind == "array":
            if init is not None:
                if not isinstance(init, c_ast.InitList):
                    raise self.unsupported("array initialiser that is not a { list }", init)
                exprs = list(init.exprs) + [None] * (ctype.length - len(init.exprs))
                if ctype.tag == "flock":
                    exprs = self._flock_init(init)
                for i, e in enumerate(exprs):
                    v = ir.Const(0) if e is None else self._expr(e)[0]
                    fb.emit(ir.Store(ir.Cell("local", slot + i), self._convert(v, ctype.elem), loc))
            return
        if ctype.kind == "str" and isinstance(decl.type, c_ast.ArrayDecl):
            if init is None:
                fb.emit(ir.Store(ir.Cell("local", slot), ir.Const("\0" * max(ctype.length - 1, 0)), loc))
                return
        if init is not None:
            if isinstance(init, c_ast.InitList):
                raise self.unsupported("{ } initialiser for a scalar", init)
            v, _ = self._expr(init)
            fb.emit(ir.Store(ir.Cell("local", slot), self._convert(v, ctype), loc))

    # ------------------------------------------------------------ expressions

    def _convert(self, value: ir.Expr, ctype: CType | None) -> ir.Expr:
        if ctype is not None and ctype.kind == "int":
            if isinstance(value, ir.Const) and isinstance(value.value, int):
                return ir.Const(wrap(value.value, ctype.bits, ctype.signed))
            return ir.Wrap(ctype.bits, ctype.signed, value)
        return value

    def _cond(self, node) -> ir.Expr:
        e, _ = self._expr(node)
        return e

    def _effect(self, node) -> None:
        """Lower an expression evaluated only for its effects."""
        if isinstance(node, c_ast.ExprList):
            for e in node.exprs:
                self._effect(e)
            return
        if isinstance(node, c_ast.UnaryOp) and node.op in ("p++", "p--", "++", "--"):
            self._incdec(node, want_value=False)
            return
        if isinstance(node, c_ast.Cast):
            self._effect(node.expr)
            return
        if isinstance(node, c_ast.FuncCall) and self._printf_as_gcc_compiles_it(node):
            return
        self._expr(node)

    def _printf_as_gcc_compiles_it(self, node: c_ast.FuncCall) -> bool:
        """gcc turns a statement `printf("text\n")` into `puts("text")`, `printf("c")` into
        `putchar('c')` and `printf("%s\n", s)` into `puts(s)`, even at -O0. It matters on an
        unbuffered stream, where puts is two write(2)s. Lower them the way the binary runs."""
        if not (isinstance(node.name, c_ast.ID) and node.name.name == "printf" and node.args):
            return False
        args = node.args.exprs
        fmt_node = args[0]
        if not (isinstance(fmt_node, c_ast.Constant) and fmt_node.type == "string"):
            return False
        fmt = decode_c_string(fmt_node.value[1:-1])
        loc = self.loc(node)
        if len(args) == 1 and "%" not in fmt:
            if fmt == "":
                return True
            if len(fmt) == 1:
                self.fb.emit(ir.Builtin(None, "putchar", (ir.Const(ord(fmt)),), loc))
                return True
            if fmt.endswith("\n"):
                self.fb.emit(ir.Builtin(None, "puts", (ir.Const(fmt[:-1]),), loc))
                return True
        if len(args) == 2 and fmt == "%s\n":
            value, _ = self._expr(args[1])
            self.fb.emit(ir.Builtin(None, "puts", (value,), loc))
            return True
        return False

    def _materialise(self, e: ir.Expr, loc) -> ir.Temp:
        if isinstance(e, ir.Temp):
            return e
        t = self.fb.temp()
        self.fb.emit(ir.SetTemp(t, e, loc))
        return ir.Temp(t)

    def _expr(self, node) -> tuple[ir.Expr, CType]:
        fb = self.fb
        loc = self.loc(node) if getattr(node, "coord", None) else self.stmt_loc
        if isinstance(node, c_ast.Constant):
            if node.type == "string":
                return ir.Const(decode_c_string(node.value[1:-1])), ct.STR
            if node.type == "char":
                s = decode_c_string(node.value[1:-1])
                return ir.Const(ord(s[0]) if s else 0), ct.INT
            if node.type in ("float", "double", "long double"):
                raise self.unsupported("floating-point constant", node, "integer, char and string constants")
            v = parse_int_literal(node.value)
            return ir.Const(v), ct.LONG if ("l" in node.value.lower() or v > 2**31 - 1) else ct.INT
        if isinstance(node, c_ast.ID):
            sym = self._lookup(node.name, node)
            if sym.kind in ("const", "func"):
                return ir.Const(sym.value), sym.ctype
            cell = ir.Cell("local" if sym.kind == "local" else "global", sym.slot)
            if sym.ctype.kind == "array":
                return ir.AddrOf(cell), ct.ptr(sym.ctype.elem)
            return cell, sym.ctype
        if isinstance(node, c_ast.BinaryOp):
            return self._binary(node, loc)
        if isinstance(node, c_ast.UnaryOp):
            return self._unary(node, loc)
        if isinstance(node, c_ast.Assignment):
            return self._assign(node, loc)
        if isinstance(node, c_ast.TernaryOp):
            return self._ternary(node, loc)
        if isinstance(node, c_ast.FuncCall):
            return self._call(node, loc)
        if isinstance(node, c_ast.ArrayRef):
            base, btype = self._expr(node.name)
            index, _ = self._expr(node.subscript)
            if btype.kind == "str":
                return ir.StrIndex(base, index), ct.CHAR
            if btype.kind != "ptr":
                raise self.unsupported("subscript of a non-array value", node)
            return ir.Deref(ir.BinOp("+", base, ir.BinOp("*", index, ir.Const(ir.CELL)))), btype.elem or ct.INT
        if isinstance(node, c_ast.Cast):
            target = self._type(node.to_type.type, node)
            e, etype = self._expr(node.expr)
            if target.kind == "void":
                return ir.Const(0), ct.VOID
            if target.kind == "int":
                return ir.Wrap(target.bits, target.signed, e), target
            return e, target if etype.kind != "str" else etype
        if isinstance(node, c_ast.ExprList):
            for e in node.exprs[:-1]:
                self._effect(e)
            return self._expr(node.exprs[-1])
        if isinstance(node, c_ast.StructRef):
            return self._struct_ref(node)
        if isinstance(node, c_ast.CompoundLiteral):
            raise self.unsupported("compound literal", node)
        raise self.unsupported(f"expression {type(node).__name__}", node)

    def _binary(self, node: c_ast.BinaryOp, loc) -> tuple[ir.Expr, CType]:
        fb = self.fb
        op = node.op
        if op in ("&&", "||"):
            left, _ = self._expr(node.left)
            mark = fb.here()
            right, _ = self._expr(node.right)
            if fb.here() == mark:
                return ir.BinOp(op, left, right), ct.INT
            # The right side has effects: only evaluate it when it is needed.
            del fb.code[mark:]
            t = fb.temp()
            short_value = 0 if op == "&&" else 1
            if op == "&&":
                br = fb.emit(ir.Branch(left, fb.here() + 1, -1, loc))
            else:
                br = fb.emit(ir.Branch(left, -1, fb.here() + 1, loc))
            right, _ = self._expr(node.right)
            fb.emit(ir.SetTemp(t, ir.UnOp("!!", right), loc))
            j = fb.emit(ir.Jump(-1, loc))
            short_at = fb.emit(ir.SetTemp(t, ir.Const(short_value), loc))
            fb.patch(br, **({"if_false": short_at} if op == "&&" else {"if_true": short_at}))
            fb.patch(j, target=fb.here())
            return ir.Temp(t), ct.INT
        left, lt = self._expr(node.left)
        if self._has_effects_since(node.right):
            left = self._materialise(left, loc)
        right, rt = self._expr(node.right)
        if op in ("+", "-") and lt.kind == "ptr" and rt.kind == "int":
            return ir.BinOp(op, left, ir.BinOp("*", right, ir.Const(ir.CELL))), lt
        if op == "+" and rt.kind == "ptr" and lt.kind == "int":
            return ir.BinOp(op, right, ir.BinOp("*", left, ir.Const(ir.CELL))), rt
        if op == "-" and lt.kind == "ptr" and rt.kind == "ptr":
            return ir.BinOp("/", ir.BinOp("-", left, right), ir.Const(ir.CELL)), ct.LONG
        if op in ("==", "!=", "<", "<=", ">", ">="):
            if lt.kind == "str" and rt.kind == "str" and op in ("==", "!="):
                raise self.unsupported("comparing strings with == (use strcmp)", node)
            return ir.BinOp(op, left, right), ct.INT
        if op not in ("+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>"):
            raise self.unsupported(f"operator {op}", node)
        rtype = lt if (lt.kind == "int" and (lt.bits > rt.bits if rt.kind == "int" else True)) else rt
        if rtype.kind != "int":
            rtype = ct.LONG
        if rtype.bits < 32:
            rtype = ct.INT
        return ir.BinOp(op, left, right), rtype

    def _has_effects_since(self, node) -> bool:
        """Does evaluating `node` emit instructions (so the left side must be computed first)?"""
        for n in _walk(node):
            if isinstance(n, (c_ast.FuncCall, c_ast.Assignment)) or (
                isinstance(n, c_ast.UnaryOp) and n.op in ("++", "--", "p++", "p--")
            ):
                if isinstance(n, c_ast.FuncCall) and isinstance(n.name, c_ast.ID) and (
                    n.name.name in ct.STATUS_MACROS or n.name.name in ct.PURE_FUNCTIONS
                ):
                    continue
                return True
        return False

    def _unary(self, node: c_ast.UnaryOp, loc) -> tuple[ir.Expr, CType]:
        op = node.op
        if op in ("++", "--", "p++", "p--"):
            return self._incdec(node, want_value=True)
        if op == "sizeof":
            return ir.Const(self._sizeof(node.expr)), ct.ULONG
        if op == "&":
            target, ttype = self._lvalue(node.expr)
            if isinstance(target, ir.Cell):
                return ir.AddrOf(target), ct.ptr(ttype)
            if isinstance(target, ir.Deref):
                return target.addr, ct.ptr(ttype)
            raise self.unsupported("address of this expression", node)
        if op == "*":
            e, t = self._expr(node.expr)
            if t.kind == "str":
                return ir.StrIndex(e, ir.Const(0)), ct.CHAR
            if t.kind == "func":
                return e, t
            if t.kind != "ptr":
                raise self.unsupported("dereferencing a non-pointer", node)
            return ir.Deref(e), t.elem or ct.INT
        e, t = self._expr(node.expr)
        if op == "-":
            return ir.UnOp("-", e), t if t.kind == "int" and t.bits >= 32 else ct.INT
        if op == "+":
            return e, t
        if op == "!":
            return ir.UnOp("!", e), ct.INT
        if op == "~":
            return ir.UnOp("~", e), t if t.kind == "int" and t.bits >= 32 else ct.INT
        raise self.unsupported(f"unary operator {op}", node)

    def _struct_ref(self, node: c_ast.StructRef) -> tuple[ir.Expr, CType]:
        """A member of one of the library structs the subset knows: struct sigaction or struct flock."""
        if self._struct_tag(node) == "sigaction":
            return self._member(node)
        return self._field(node), ct.LONG

    def _struct_tag(self, node: c_ast.StructRef) -> str:
        if not isinstance(node.name, c_ast.ID):
            return ""
        ctype = self._lookup(node.name.name, node.name).ctype
        if node.type == "->":
            ctype = ctype.elem if ctype.kind == "ptr" and ctype.elem is not None else ct.INT
        return ctype.tag

    def _field(self, node: c_ast.StructRef) -> ir.Expr:
        """`fl.l_type` or `p->l_type` of a struct flock: the field's cell."""
        field = node.field.name
        if field not in ct.FLOCK_FIELDS:
            raise self.unsupported(f"struct member '{field}'", node, "the fields of struct flock: " + ", ".join(ct.FLOCK_FIELDS))
        index = ct.FLOCK_FIELDS.index(field)
        if node.type == ".":
            if isinstance(node.name, c_ast.ID):
                sym = self._lookup(node.name.name, node.name)
                if sym.ctype.tag == "flock":
                    return ir.Cell("local" if sym.kind == "local" else "global", sym.slot + index)
            raise self.unsupported("struct member access", node, "fields of a struct flock variable")
        base, btype = self._expr(node.name)
        if btype.kind != "ptr" or btype.elem is None or btype.elem.tag != "flock":
            raise self.unsupported("struct member access", node, "fields of a struct flock variable")
        return ir.Deref(ir.BinOp("+", base, ir.Const(index * ir.CELL)))

    def _flock_init(self, init: c_ast.InitList) -> list:
        """`{F_WRLCK, SEEK_SET, 0, 0}` or `{.l_type = F_WRLCK, ...}`: one expression (or None) per field."""
        out: list = [None] * len(ct.FLOCK_FIELDS)
        at = 0
        for e in init.exprs:
            if isinstance(e, c_ast.NamedInitializer):
                name = e.name[0].name if len(e.name) == 1 and isinstance(e.name[0], c_ast.ID) else ""
                if name not in ct.FLOCK_FIELDS:
                    raise self.unsupported(f"initialiser for struct member '{name}'", e, ", ".join(ct.FLOCK_FIELDS))
                at = ct.FLOCK_FIELDS.index(name)
                e = e.expr
            if at >= len(out):
                raise self.error("too many initialisers for struct flock", init)
            out[at] = e
            at += 1
        return out

    def _buffer_address(self, node) -> tuple[ir.Expr, int]:
        """The address and size of the char array a call fills (`read(fd, buf, n)`)."""
        if isinstance(node, c_ast.ID):
            sym = self._lookup(node.name, node)
            if sym.kind in ("local", "global") and sym.ctype.kind == "str" and sym.ctype.length:
                return ir.AddrOf(ir.Cell("local" if sym.kind == "local" else "global", sym.slot)), sym.ctype.length
        raise self.unsupported("a buffer that is not a char array variable", node, "char buf[N]; read(fd, buf, n)")

    def _lvalue(self, node) -> tuple[ir.Expr, CType]:
        """Where an assignment writes: a Cell, a Deref, or (for s[i]) a StrIndex."""
        if isinstance(node, c_ast.ID):
            sym = self._lookup(node.name, node)
            if sym.kind not in ("local", "global"):
                raise self.error(f"cannot assign to '{node.name}'", node)
            return ir.Cell("local" if sym.kind == "local" else "global", sym.slot), sym.ctype
        if isinstance(node, c_ast.UnaryOp) and node.op == "*":
            e, t = self._expr(node.expr)
            if t.kind == "str":
                return ir.StrIndex(e, ir.Const(0)), ct.CHAR
            if t.kind != "ptr":
                raise self.unsupported("assignment through a non-pointer", node)
            return ir.Deref(e), t.elem or ct.INT
        if isinstance(node, c_ast.ArrayRef):
            base, btype = self._expr(node.name)
            index, _ = self._expr(node.subscript)
            if btype.kind == "str":
                return ir.StrIndex(base, index), ct.CHAR
            if btype.kind != "ptr":
                raise self.unsupported("subscript of a non-array value", node)
            return ir.Deref(ir.BinOp("+", base, ir.BinOp("*", index, ir.Const(ir.CELL)))), btype.elem or ct.INT
        if isinstance(node, c_ast.Cast):
            return self._lvalue(node.expr)
        if isinstance(node, c_ast.StructRef):
            return self._struct_ref(node)
        raise self.unsupported(f"assignment to {type(node).__name__}", node)

    def _member(self, node: c_ast.StructRef) -> tuple[ir.Expr, CType]:
        """`sa.sa_flags`, `psa->sa_handler`: a cell of the one library struct the subset knows."""
        if node.type == ".":
            where, target = self._lvalue(node.name)
            base = ir.AddrOf(where) if isinstance(where, ir.Cell) else getattr(where, "addr", None)
        else:
            base, btype = self._expr(node.name)
            target = btype.elem if btype.kind == "ptr" else None
        field = node.field.name
        if target is None or target.tag != "sigaction" or field not in ct.SIGACTION_FIELDS:
            raise self.unsupported(f"member '{field}'", node, "the members of struct sigaction: "
                                   + ", ".join(ct.SIGACTION_FIELDS))
        index, ftype = ct.SIGACTION_FIELDS[field]
        return ir.Deref(ir.BinOp("+", base, ir.Const(index * ir.CELL))), ftype

    def _store(self, target: ir.Expr, ttype: CType, value: ir.Expr, loc, node) -> None:
        if isinstance(target, ir.StrIndex):
            holder = target.string
            if not isinstance(holder, (ir.Cell, ir.Deref)):
                raise self.unsupported("writing into a string literal", node)
            self.fb.emit(ir.StoreChar(holder, target.index, ir.Wrap(8, True, value), loc))
            return
        if ttype.kind == "array":
            raise self.error("cannot assign to an array", node)
        self.fb.emit(ir.Store(target, self._convert(value, ttype), loc))

    def _assign(self, node: c_ast.Assignment, loc) -> tuple[ir.Expr, CType]:
        target, ttype = self._lvalue(node.lvalue)
        if node.op == "=":
            value, vtype = self._expr(node.rvalue)
            if ttype.kind == "str" and vtype.kind not in ("str",) and not (isinstance(value, ir.Const) and value.value == 0):
                if not isinstance(target, ir.StrIndex):
                    raise self.unsupported("assigning a non-string to a char pointer", node)
        else:
            op = node.op[:-1]
            rhs, rtype = self._expr(node.rvalue)
            current = target if not isinstance(target, ir.StrIndex) else target
            if ttype.kind == "ptr" and op in ("+", "-"):
                rhs = ir.BinOp("*", rhs, ir.Const(ir.CELL))
            value = ir.BinOp(op, current, rhs)
        t = self._materialise(self._convert(value, ttype) if ttype.kind == "int" else value, loc)
        self._store(target, ttype, t, loc, node)
        return t, ttype

    def _incdec(self, node: c_ast.UnaryOp, want_value: bool) -> tuple[ir.Expr, CType]:
        loc = self.loc(node)
        target, ttype = self._lvalue(node.expr)
        step = ir.CELL if ttype.kind == "ptr" else 1
        op = "+" if "+" in node.op else "-"
        post = node.op.startswith("p")
        if not want_value:
            self._store(target, ttype, ir.BinOp(op, target, ir.Const(step)), loc, node)
            return ir.Const(0), ttype
        old = self._materialise(target, loc)
        new = ir.BinOp(op, old, ir.Const(step))
        if post:
            self._store(target, ttype, new, loc, node)
            return old, ttype
        t = self._materialise(self._convert(new, ttype), loc)
        self._store(target, ttype, t, loc, node)
        return t, ttype

    def _ternary(self, node: c_ast.TernaryOp, loc) -> tuple[ir.Expr, CType]:
        fb = self.fb
        cond, _ = self._expr(node.cond)
        mark = fb.here()
        a, at = self._expr(node.iftrue)
        b, bt = self._expr(node.iffalse)
        if fb.here() == mark:
            return ir.Cond(cond, a, b), at if at.kind != "int" else (at if bt.kind != "int" or at.bits >= bt.bits else bt)
        del fb.code[mark:]
        t = fb.temp()
        br = fb.emit(ir.Branch(cond, fb.here() + 1, -1, loc))
        a, at = self._expr(node.iftrue)
        fb.emit(ir.SetTemp(t, a, loc))
        j = fb.emit(ir.Jump(-1, loc))
        fb.patch(br, if_false=fb.here())
        b, bt = self._expr(node.iffalse)
        fb.emit(ir.SetTemp(t, b, loc))
        fb.patch(j, target=fb.here())
        return ir.Temp(t), at

    def _call(self, node: c_ast.FuncCall, loc) -> tuple[ir.Expr, CType]:
        fb = self.fb
        args_nodes = list(node.args.exprs) if node.args else []
        if not isinstance(node.name, c_ast.ID):
            f, ftype = self._expr(node.name)
            args = self._args(args_nodes, loc)
            t = fb.temp()
            fb.emit(ir.Call(t, f, args, loc))
            return ir.Temp(t), ct.INT
        name = node.name.name
        if name in ct.STATUS_MACROS:
            if len(args_nodes) != 1:
                raise self.error(f"{name} takes one argument", node)
            s, _ = self._expr(args_nodes[0])
            return status_macro(name, s), ct.INT
        if name in ct.PURE_FUNCTIONS:
            args = [self._expr(a)[0] for a in args_nodes]
            if name in ("abs", "labs"):
                return ir.UnOp("abs", args[0]), ct.INT
            if name == "strlen":
                return ir.UnOp("strlen", args[0]), ct.ULONG
            if name == "strcmp":
                return ir.BinOp("strcmp", args[0], args[1]), ct.INT
        if name in ct.BUILTINS:
            lo, hi = ct.BUILTINS[name]
            if not lo <= len(args_nodes) <= hi:
                want = str(lo) if lo == hi else f"{lo} or more"
                raise self.error(f"{name} takes {want} argument(s), got {len(args_nodes)}", node)
            if name == "assert":
                cond, _ = self._expr(args_nodes[0])
                text = self._source_text(args_nodes[0], node)
                fb.emit(ir.Builtin(None, "assert", (cond, ir.Const(text), ir.Const(fb.name)), loc))
                return ir.Const(0), ct.VOID
            if name in ("printf", "fprintf"):
                self._check_format(args_nodes[0 if name == "printf" else 1], len(args_nodes) - (1 if name == "printf" else 2), node)
            args = self._args(args_nodes, loc)
            if name in ct.OUT_BUFFER_ARGS:
                i = ct.OUT_BUFFER_ARGS[name]
                addr, size = self._buffer_address(args_nodes[i])
                args = args[:i] + (addr,) + args[i + 1 :] + (ir.Const(size),)  # the array's size goes last
            if name == "exit":
                fb.emit(ir.Call(None, self.function_index["__libc_exit"], args, loc))
                return ir.Const(0), ct.VOID
            t = fb.temp()
            fb.emit(ir.Builtin(t, name, args, loc))
            rtype = ct.RETURN_TYPES.get(name, ct.INT)
            return ir.Temp(t), rtype
        if name not in self.function_index:
            raise Unsupported(
                f"call to '{name}', which is neither defined in the program nor a modelled library function",
                _span(self.path, node),
                (f"supported library calls: {', '.join(ct.SUPPORTED_CALLS)}",),
            )
        args = self._args(args_nodes, loc)
        t = fb.temp()
        fb.emit(ir.Call(t, self.function_index[name], args, loc))
        return ir.Temp(t), self.function_types.get(name, ct.INT)

    def _args(self, nodes, loc) -> tuple[ir.Expr, ...]:
        out: list[ir.Expr] = []
        for i, a in enumerate(nodes):
            e, _ = self._expr(a)
            # A later argument with effects must not see this one's variables change.
            if any(self._has_effects_since(b) for b in nodes[i + 1 :]) and not isinstance(e, (ir.Const, ir.Temp)):
                e = self._materialise(e, loc)
            out.append(e)
        return tuple(out)

    def _check_format(self, fmt_node, nargs: int, node) -> None:
        if not (isinstance(fmt_node, c_ast.Constant) and fmt_node.type == "string"):
            return
        from forkspec.kernel.printf import count_conversions

        fmt = decode_c_string(fmt_node.value[1:-1])
        try:
            need = count_conversions(fmt)
        except ValueError as e:
            raise Unsupported(str(e), _span(self.path, fmt_node),
                              ("supported conversions: %d %i %u %x %X %o %c %s %p %% with flags, width, precision, length",))
        if need != nargs:
            raise self.error(f"format {fmt_node.value} needs {need} argument(s), got {nargs}", node)

    def _source_text(self, arg, call) -> str:
        c1 = arg.coord
        if c1 is None:
            return "expression"
        line = self.source_lines[c1.line - 1]
        start = (c1.column or 1) - 1
        # Walk back to just after "assert(" and forward to the matching ')'.
        open_at = line.rfind("(", 0, start + 1)
        depth, j = 0, open_at
        while j < len(line):
            if line[j] == "(":
                depth += 1
            elif line[j] == ")":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        return line[open_at + 1 : j].strip() if open_at >= 0 else "expression"


def _walk(node):
    yield node
    for _, child in node.children():
        yield from _walk(child)


def status_macro(name: str, s: ir.Expr) -> ir.Expr:
    """The <sys/wait.h> status macros, bit for bit as glibc defines them."""
    low7 = ir.BinOp("&", s, ir.Const(0x7F))
    if name == "WIFEXITED":
        return ir.BinOp("==", low7, ir.Const(0))
    if name in ("WEXITSTATUS", "WSTOPSIG"):
        return ir.BinOp("&", ir.BinOp(">>", s, ir.Const(8)), ir.Const(0xFF))
    if name == "WTERMSIG":
        return low7
    if name == "WIFSIGNALED":
        return ir.BinOp("&&", ir.BinOp("!=", low7, ir.Const(0)), ir.BinOp("!=", low7, ir.Const(0x7F)))
    if name == "WIFSTOPPED":
        return ir.BinOp("==", ir.BinOp("&", s, ir.Const(0xFF)), ir.Const(0x7F))
    if name == "WIFCONTINUED":
        return ir.BinOp("==", s, ir.Const(0xFFFF))
    if name == "WCOREDUMP":
        return ir.UnOp("!!", ir.BinOp("&", s, ir.Const(0x80)))
    raise KeyError(name)


def wrap(v: int, bits: int, signed: bool) -> int:
    v &= (1 << bits) - 1
    if signed and v >= 1 << (bits - 1):
        v -= 1 << bits
    return v


def c_div(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def eval_binop(op: str, a, b):
    """C semantics for a binary operator on Python ints (and strcmp on strings)."""
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        return c_div(a, b)
    if op == "%":
        return a - b * c_div(a, b)
    if op == "==":
        return int(a == b)
    if op == "!=":
        return int(a != b)
    if op == "<":
        return int(a < b)
    if op == "<=":
        return int(a <= b)
    if op == ">":
        return int(a > b)
    if op == ">=":
        return int(a >= b)
    if op == "&":
        return a & b
    if op == "|":
        return a | b
    if op == "^":
        return a ^ b
    if op == "<<":
        return a << b
    if op == ">>":
        return a >> b
    if op == "&&":
        return int(bool(a) and bool(b))
    if op == "||":
        return int(bool(a) or bool(b))
    if op == "strcmp":
        return (a > b) - (a < b)
    raise KeyError(op)


def exit_routine() -> ir.Function:
    """glibc's exit(status): run atexit handlers newest first, flush stdio, then _exit.

    Written directly in IR so that handlers are ordinary calls and a handler that
    registers another handler, or calls _exit, behaves as in glibc.
    """
    loc = ir.Loc(0, 0, "exit")
    body = (
        ir.Builtin(None, "__exit_begin", (), loc),                    # 0
        ir.Builtin(0, "__atexit_pop", (), loc),                       # 1
        ir.Branch(ir.Temp(0), 3, 5, loc),                              # 2
        ir.Call(None, ir.Temp(0), (), loc),                           # 3
        ir.Jump(1, loc),                                               # 4
        ir.Builtin(None, "__flush_all", (), loc),                     # 5
        ir.Builtin(None, "_exit", (ir.Cell("local", 0),), loc),       # 6
    )
    return ir.Function("exit", (0,), (None,), 1, 1, body, liveness(body, 1), loc)


# ------------------------------------------------------------ liveness


def _uses(e, out: set) -> None:
    if isinstance(e, ir.Temp):
        out.add(e.index)
    elif isinstance(e, (ir.Const, ir.Cell, ir.AddrOf)) or e is None or isinstance(e, int):
        return
    elif isinstance(e, ir.Deref):
        _uses(e.addr, out)
    elif isinstance(e, ir.BinOp):
        _uses(e.left, out)
        _uses(e.right, out)
    elif isinstance(e, ir.UnOp):
        _uses(e.operand, out)
    elif isinstance(e, ir.Cond):
        _uses(e.cond, out)
        _uses(e.then, out)
        _uses(e.other, out)
    elif isinstance(e, ir.Wrap):
        _uses(e.operand, out)
    elif isinstance(e, ir.StrIndex):
        _uses(e.string, out)
        _uses(e.index, out)


def instr_uses(ins) -> set:
    out: set = set()
    if isinstance(ins, ir.SetTemp):
        _uses(ins.value, out)
    elif isinstance(ins, ir.Store):
        _uses(ins.target, out)
        _uses(ins.value, out)
    elif isinstance(ins, ir.StoreChar):
        _uses(ins.target, out)
        _uses(ins.index, out)
        _uses(ins.value, out)
    elif isinstance(ins, ir.Branch):
        _uses(ins.cond, out)
    elif isinstance(ins, (ir.Call, ir.Builtin)):
        for a in ins.args:
            _uses(a, out)
        if isinstance(ins, ir.Call) and not isinstance(ins.func, int):
            _uses(ins.func, out)
    elif isinstance(ins, ir.Return):
        _uses(ins.value, out)
    return out


def successors_of(body, pc: int) -> tuple[int, ...]:
    ins = body[pc]
    if isinstance(ins, ir.Jump):
        return (ins.target,)
    if isinstance(ins, ir.Branch):
        return (ins.if_true, ins.if_false)
    if isinstance(ins, ir.Return):
        return ()
    if isinstance(ins, ir.Builtin) and ins.name in ("_exit", "_Exit", "abort"):
        return ()
    return (pc + 1,) if pc + 1 < len(body) else ()


def liveness(body, ntemps: int) -> tuple[tuple[int, ...], ...]:
    """Per instruction, the temps still read later: the rest are zeroed, so dead values never split states."""
    n = len(body)
    uses = [instr_uses(i) for i in body]
    defs = [{i.dst} if isinstance(i, (ir.SetTemp, ir.Call, ir.Builtin)) and i.dst is not None else set() for i in body]
    live_in = [set() for _ in range(n)]
    live_out = [set() for _ in range(n)]
    changed = True
    while changed:
        changed = False
        for pc in range(n - 1, -1, -1):
            out = set()
            for s in successors_of(body, pc):
                if 0 <= s < n:
                    out |= live_in[s]
            inn = uses[pc] | (out - defs[pc])
            if out != live_out[pc] or inn != live_in[pc]:
                live_out[pc], live_in[pc] = out, inn
                changed = True
    return tuple(tuple(sorted(s)) for s in live_out)
