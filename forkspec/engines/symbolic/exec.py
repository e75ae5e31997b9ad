"""exec over Z3 terms: the rules of `kernel/exec.py`, with the images folded into the layout.

The images a program can exec (`ir.Program.images`, linked when the spec is loaded) are
appended to the root program's functions, so that a location `((func, pc), ...)` names
code in any image and a slot's program counter says which image it runs. Every image
shares the root's exit routine (libc's, the same IR in each). /bin/echo prints its
argv, which the encoding does not keep: each constant argument list an exec site
gives echo is a variant of its own whose `__echo` carries the text. `image_table`
numbers the variants the same way for the layout and for replay (`location`).

A successful exec (`ExecSteps.replace_image`) closes the FD_CLOEXEC fds, discards the
stdio buffer and the atexit list, gives the slot the new image's globals and an empty
stack, resets caught signals to SIG_DFL (ignored ones stay), and starts the image's
main; a failed one returns -1 with ENOENT. execv's path and argv array are strings kept
in variables (`symbolic.strings`): each literal naming an image is a possible target,
and only the array's length reaches the image. What the encoding leaves out is refused
by name: an execl path or argument that is not a constant string, execv of /bin/echo,
exec in a program with vfork, threads, mappings or setvbuf, and images that use those,
set signal handlers or register functions.
"""
from __future__ import annotations

from dataclasses import replace

import z3

from forkspec import ir
from forkspec.engines.symbolic import chars, strings
from forkspec.engines.symbolic.expr import Chars, bv, is_sym, truth
from forkspec.engines.symbolic.strings import literals
from forkspec.engines.symbolic.program import NotEncoded
from forkspec.engines.symbolic.threads import PUSHED
from forkspec.engines.symbolic.sigprogram import NEST, SIGNAL_CALLS
from forkspec.kernel.signals import SIG_DFL, SIG_IGN
from forkspec.kernel.exec import EXEC_CALLS, ENOENT, MAX_ARGS, exists_outside_model, image_key
from forkspec.kernel.files import EBADF, EPIPE
from forkspec.kernel.step import STRERROR

LIST_CALLS = {"execl": False, "execlp": True}  # name -> searches PATH
ARRAY_CALLS = frozenset({"execv", "execvp", "execve"})
ECHO = "/bin/echo"
# what an image may call for the encoding to follow it (its own stdio, fds, processes)
IMAGE_CALLS = frozenset({"printf", "fprintf", "puts", "putchar", "fputs", "fputc", "putc", "fflush", "__flush_all",
                         "perror", "getpid", "getppid", "_exit", "_Exit", "abort", "__exit_begin", "__atexit_pop",
                         "write", "read", "open", "close", "dup", "dup2", "pipe", "lseek", "fork", "wait", "waitpid",
                         "sleep", "usleep", "sched_yield", "__echo", "__echo_err"}) | EXEC_CALLS \
    | (SIGNAL_CALLS - {"signal", "sigaction"})  # an image's handler would be a function of its own numbering
# what a program that execs may not use (its effect on exec is not encoded)
NOT_WITH_EXEC = frozenset({"vfork", "setvbuf", "setbuf", "mmap", "malloc", "calloc", "free", "madvise",
                           "pthread_create", "pthread_atfork"})


def exec_sites(program: ir.Program):
    for fn in program.functions:
        for ins in fn.body:
            if isinstance(ins, ir.Builtin) and ins.name in EXEC_CALLS - {"__echo"}:
                yield ins


def uses_exec(program: ir.Program) -> bool:
    return next(exec_sites(program), None) is not None


def site_targets(ins: ir.Builtin, table: tuple) -> list[tuple[str, tuple | None]]:
    """The (image key, echo's argv or None) an exec site may start. An argv array's strings
    are kept in variables (`symbolic.strings`): its path may be any literal in `table`
    unless a constant, and only its length reaches the image, so /bin/echo, which prints
    them, is refused there."""
    if ins.name not in ARRAY_CALLS:
        key, argv = site_target(ins)
        return [(key, variant(key, argv))]
    path = ins.args[0]
    texts = [path.value] if isinstance(path, ir.Const) and isinstance(path.value, str) else table
    keys = sorted({image_key(t, ins.name == "execvp") for t in texts})
    if ECHO in keys:
        raise NotEncoded(f"{ins.name}() of /bin/echo with an argv array (execl and execlp of echo are encoded)", ins.loc)
    return [(k, None) for k in keys]


def site_target(ins: ir.Builtin) -> tuple[str, tuple]:
    """An execl/execlp site's image key and argv (constants, or refused)."""
    path = ins.args[0]
    if not (isinstance(path, ir.Const) and isinstance(path.value, str)):
        raise NotEncoded(f"a path for {ins.name}() that is not a constant string", ins.loc)
    args = [a.value if isinstance(a, ir.Const) else None for a in ins.args[1:]]
    if 0 not in args or not all(isinstance(a, str) for a in args[: args.index(0)]):
        raise NotEncoded(f"an argument of {ins.name}() that is not a constant string", ins.loc)
    key = image_key(path.value, LIST_CALLS[ins.name])
    return key, tuple(a.split("\0", 1)[0] for a in args[: args.index(0)])


def variant(key: str, argv: tuple):
    """What tells two runs of an image apart in the layout: echo's argv, nothing for the others."""
    return argv if key == ECHO else None


def image_table(root: ir.Program) -> dict:
    """{(image index, argv or None): (offset, program)} for every image an exec site of the
    root or of an image it reaches can start, in a fixed order; the root is (0, None) at 0."""
    names = [k for k, _ in root.images]
    programs = dict(root.images)
    table = {(0, None): (0, root)}
    offset = len(root.functions)
    todo, seen = [root], {id(root)}
    texts = literals(root)
    while todo:
        prog = todo.pop(0)
        for key, argv in (t for ins in exec_sites(prog) for t in site_targets(ins, texts)):
            if key not in programs or (names.index(key) + 1, argv) in table:
                continue
            image = programs[key]
            table[(names.index(key) + 1, argv)] = (offset, image)
            offset += len(image.functions)
            if id(image) not in seen:
                seen.add(id(image))
                todo.append(image)
    return table


def image_start(lay, ins: ir.Builtin) -> list:
    """Where a successful exec at `ins` starts: the image's main (none when it is not modelled)."""
    if ins.name.startswith("__echo"):
        return []
    names = [k for k, _ in lay.program.images]
    images = dict(lay.program.images)
    return [((lay.exec_offsets[(names.index(key) + 1, argv)] + images[key].main, 0),)
            for key, argv in site_targets(ins, lay.strings) if key in names]


def _check_image(image: ir.Program) -> None:
    """Refuses an image whose code (from its main, by direct calls) does what the encoding
    does not follow after an exec."""
    todo, seen = [image.main], {image.main}
    while todo:
        for ins in image.functions[todo.pop()].body:
            if isinstance(ins, ir.Builtin) and ins.name not in IMAGE_CALLS:
                raise NotEncoded(f"a call to {ins.name}() in an exec'd image ({image.path})")
            if isinstance(ins, ir.Call):
                if not isinstance(ins.func, int):
                    raise NotEncoded(f"a call through a pointer in an exec'd image ({image.path})")
                if ins.func not in seen:
                    seen.add(ins.func)
                    todo.append(ins.func)


def _relocate(image: ir.Program, offset: int, root_exit: int, argv: tuple | None) -> list:
    """The image's functions, calls renumbered; its exit routine's index mapped to the root's.
    An echo variant's main is `echo_main`."""
    def index(f: int) -> int:
        return root_exit if f == image.exit_routine else offset + f

    out = []
    for i, fn in enumerate(image.functions):
        if argv is not None and i == image.main:
            out.append(echo_main(fn, argv))
            continue
        body = tuple(replace(ins, func=index(ins.func)) if isinstance(ins, ir.Call) and isinstance(ins.func, int)
                     else ins for ins in fn.body)
        out.append(replace(fn, body=body))
    return out


def echo_main(fn: ir.Function, argv: tuple) -> ir.Function:
    """/bin/echo's main for one argv: the write to stdout (`__echo`, a step), then, when it
    failed, the message on stderr (`__echo_err`, the kernel's pending write: a step of its
    own, where the step after a failure starts), then _exit with the status."""
    from forkspec.frontend.lower import liveness

    loc = fn.loc
    body = (ir.Builtin(0, "__echo", (ir.Const(echo_text(argv[1:])),), loc),
            ir.Builtin(None, "__echo_err", (ir.Const(argv[0] if argv else "echo"),), loc),
            ir.Builtin(None, "_exit", (ir.Temp(0),), loc))
    return replace(fn, body=body, live_out=liveness(body, 1))


def echo_text(args: tuple) -> str:
    """What /bin/echo writes (kernel: _b___echo): the arguments, spaces between, a newline unless -n."""
    if args and args[0] == "-n":
        return " ".join(args[1:])
    return " ".join(args) + "\n"


def merge(program: ir.Program) -> tuple[ir.Program, dict]:
    """The root program with every image it can exec appended (see the module docstring),
    and {(image, argv): offset}; the program itself when it makes no exec call."""
    if not uses_exec(program):
        return program, {}
    table = image_table(program)
    for prog in {id(p): p for _, p in table.values()}.values():
        for fn in prog.functions:
            for ins in fn.body:
                if isinstance(ins, ir.Builtin) and ins.name in NOT_WITH_EXEC:
                    raise NotEncoded(f"an exec in a program that calls {ins.name}()", ins.loc)
    from forkspec.engines.symbolic.locks import uses_locks

    if any(uses_locks(prog) for _, prog in table.values()):
        raise NotEncoded("an exec in a program that uses fcntl() record locks")
    functions = list(program.functions)
    for (image, argv), (offset, prog) in table.items():
        if image:
            _check_image(prog)
            functions += _relocate(prog, offset, program.exit_routine, argv)
    merged = replace(program, functions=tuple(functions))
    return merged, {k: off for k, (off, _) in table.items()}


def relocated(offsets: dict, program: ir.Program, proc) -> callable:
    """How a process's (function, pc) maps to the merged layout's (replay's `location`); an
    echo variant has `__echo_err` as its second instruction, which the kernel's image has not."""
    image = program.images[proc.image - 1][1]
    echo = program.images[proc.image - 1][0] == ECHO
    offset = offsets[(proc.image, tuple(proc.argv) if echo else None)]

    def at(f: int, pc: int) -> tuple:
        if f == image.exit_routine:
            return program.exit_routine, pc
        return offset + f, (pc + 1 if echo and f == image.main and pc > 0 else pc)
    return at


class ExecSteps:
    """The exec family and /bin/echo's write, as `b_` methods mixed into `block.Step`."""

    def b_execl(self, p, s, ins, ev):
        return self.exec_call(p, s, ins)

    b_execlp = b_execl

    def b_execv(self, p, s, ins, ev):
        """kernel: ExecCalls._b_execv: the path and the argv array (its length is what the
        image sees), each string kept in a variable decoded (`Evaluator.string`)."""
        path = ev.string(ev.eval(ins.args[0]), (id(ins), 0))
        if not isinstance(path, str):
            raise NotEncoded(f"a path for {ins.name}() that is not a string", ins.loc)
        argc = self.argv_length(p, s, ins, ev)
        if argc is None:
            return [(p, None)]
        key = image_key(path, ins.name == "execvp")
        if key not in dict(self.lay.program.images) and exists_outside_model(key):  # the kernel stops there
            self.beyond(p, s, f"{ins.name}() of {path!r}, an image that is not modelled")
            return [(p, None)]
        return self.exec_key(p, s, key, None, argc)

    b_execvp = b_execve = b_execv

    def argv_length(self, p, s: int, ins, ev) -> int | None:
        """kernel: ExecCalls.string_list: the strings up to the NULL in the array the second
        argument points at; the instruction splits on where the NULL is, and a cell before it
        that holds no string (or an array that runs out first) is beyond the encoding."""
        addr = ev.eval(ins.args[1])
        if not isinstance(addr, int):
            raise NotEncoded(f"an argv array for {ins.name}() at an address that is not known", ins.loc)
        ctx = ev.ctx
        kind, first = ctx.address_key(addr)
        for i in range(MAX_ARGS):
            key = (kind, first + i)
            if key not in self.lay.mem_keys:
                break
            v = ctx.load(key)
            if isinstance(v, Chars):
                raise NotEncoded(f"an argv array for {ins.name}() holding a char array", ins.loc)
            if isinstance(v, str):
                continue
            if self.assume(p, ("argv", id(ins), i), v == 0):
                return i
            self.assume(p, ("argv", id(ins), i, "str"), strings.named(self.lay.strings, v) if is_sym(v)
                        else isinstance(strings.text_of(self.lay.strings, v), str),
                        "an exec argument that is not a string")
        self.beyond(p, s, f"an argv array for {ins.name}() without its NULL among the program's variables")
        return None

    def exec_call(self, p, s: int, ins):
        key, argv = site_target(ins)
        return self.exec_key(p, s, key, variant(key, argv), len(argv))

    def exec_key(self, p, s: int, key: str, argv, argc):
        names = [k for k, _ in self.lay.program.images]
        if key not in names:  # kernel: do_exec's ENOENT (a real file outside the model is refused at load)
            self.store(p, s, ("g", ir.ERRNO_SLOT), ENOENT)
            return [(p, -1)]
        image = names.index(key) + 1
        offset = self.lay.exec_offsets[(image, argv)]
        self.replace_image(p, s, offset, dict(self.lay.program.images)[key], argc)
        return [(p, PUSHED)]

    def replace_image(self, p, s: int, offset: int, program: ir.Program, argc: int) -> None:
        """kernel: ExecCalls.replace_image: FD_CLOEXEC fds close, the stdio buffer and the atexit
        list go, memory is the image's globals and an empty stack, and its main starts."""
        if self.enc.fd is not None:
            for i in range(self.shape.fds):
                fd = self.get(p, ("fd", s, i))
                self.set(p, ("fd", s, i), z3.If(self.get(p, ("cx", s, i)) != 0, bv(-1), fd))
            if self.enc.line_buffered and _uses_stdout(program):  # glibc picks the mode from what fd 1 is
                self.beyond_if(p, self.get(p, ("fd", s, 1)) != 1, "exec with fd 1 changed on a terminal, where glibc picks stdout's buffering from it")
        if self.lay.signals.used:
            self.reset_handlers(p, s)
        self.set(p, ("buf", s), z3.StringVal(""))
        self.set(p, ("blen", s), 0)
        for name in ("natx", "planned", "plen"):
            self.set(p, (name, s), 0)
        for key in self.lay.mem_keys:
            v = 0
            if key[0] == "g" and key[1] < len(program.globals_init):
                v = program.globals_init[key[1]]
            self.set(p, ("m", s, key), self.fresh_cell(p, s, key, v))
        main = program.functions[program.main]
        p.key = None
        self.push(p, s, offset + program.main, [argc, 0][: len(main.params)], 0)

    def reset_handlers(self, p, s: int) -> None:
        """kernel: replace_image's flush_signal_handlers: a caught signal goes back to SIG_DFL,
        an ignored one stays ignored, every sa_flags and sa_mask is cleared, and no handler
        frame is left; the blocked and pending sets stay as they are."""
        for g in self.lay.signals.tracked:
            h = self.get(p, ("sh", s, g))
            self.set(p, ("sh", s, g), z3.If(h == SIG_IGN, bv(SIG_IGN), bv(SIG_DFL)))
            self.set(p, ("sf", s, g), bv(0))
            self.set(p, ("sk", s, g), bv(0))
        for j in range(NEST if self.lay.signals.catching else 0):
            self.set(p, ("hm", s, j), bv(0))

    def fresh_cell(self, p, s: int, key, v):
        """A cell's value in the new image: its initial value, as the encoding holds cells."""
        if key in self.lay.char_cells:
            return chars.const_bits(v if isinstance(v, str) else "", self.lay.char_cells[key])
        return self.kept(bv(v) if isinstance(v, int) else v)

    def b___echo(self, p, s, ins, ev):
        """kernel: _b___echo: the text in one write(2) to fd 1; status 0, or 1 when it failed,
        and then coreutils' message on stderr is the step after (`b___echo_err`)."""
        out = []
        for q, n in self.write_fd(p, s, 1, ins.args[0].value, ins):
            if n is None or not q.alive:
                out.append((q, None))
                continue
            for r, failed in self.cases(q, n < 0):
                r.held = failed  # the kernel leaves the message as the process's pending write
                out.append((r, 1 if failed else 0))
        return out

    def b___echo_err(self, p, s, ins, ev):
        """The message after a failed write: `{argv[0]}: write error: {strerror(errno)}`."""
        out = []
        for q, failed in self.cases(p, truth(ev.eval(ir.Temp(0)))):
            if not failed:
                out.append((q, None))
                continue
            err = self.get(q, ("m", s, ("g", ir.ERRNO_SLOT)))
            rest = q
            for code in (EBADF, EPIPE):
                if rest is None:
                    break
                msg = f"{ins.args[0].value}: write error: {STRERROR.get(code, code)}\n"
                rest = self.pick(rest, err == code, lambda t, msg=msg: out.extend(
                    (u, None) for u, _ in self.write_fd(t, s, 2, msg, ins)))
            if rest is not None:
                self.beyond(rest, s, "/bin/echo failing with an error the encoding does not name")
                out.append((rest, None))
        return out

    def write_fd(self, p, s: int, fd: int, text: str, ins) -> list:
        """write(2) of a known text to a known fd: (path, result) as `b_write` gives them."""
        call = ir.Builtin(None, "write", (ir.Const(fd), ir.Const(text), ir.Const(len(text))), ins.loc)
        return self.b_write(p, s, call, self.ctx(p, s, ins.loc))


def _uses_stdout(program: ir.Program) -> bool:
    return any(isinstance(ins, ir.Builtin) and ins.name in ("printf", "puts", "putchar", "fflush", "fprintf", "fputs",
                                                            "fputc", "putc", "perror")
               for fn in program.functions for ins in fn.body)
