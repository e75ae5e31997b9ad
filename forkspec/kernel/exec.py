"""exec: program images and the execl/execlp/execv/execvp/execve calls.

The images a process can exec are fixed when the spec is loaded: `/bin/true`,
`/bin/false`, `/bin/echo` (each also under `/usr/bin`, and by name through PATH for
the p-variants), and the user's own spec files, named by a relative path such as
`"./child"` for the spec `child.c` beside the execing one. Every image is a
lowered program in the root program's `images` table; a process's `image` field
says which one it runs.

A successful exec replaces the memory image, the stdio buffers (unflushed output is
lost) and the atexit list, and keeps the pid, the parent, and every fd except those
with FD_CLOEXEC (execve(2)). A failed exec returns -1 with ENOENT and changes nothing.
An exec of a file that exists but is not one of the modelled images is refused.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import replace
from pathlib import Path

from forkspec import ir
from forkspec.errors import ModelError, Span, UnsupportedError
from forkspec.kernel import stdio
from forkspec.kernel.events import Event
from forkspec.kernel.signals import SIG_IGN

EXEC_CALLS = frozenset({"execl", "execlp", "execv", "execvp", "execve", "__echo"})  # visible steps
BUILTIN_IMAGES = ("true", "false", "echo")
ENOENT = 2
MAX_ARGS = 64


class ImageReplaced(Exception):
    """Raised by a successful exec: the instruction that called it does not complete."""


def modelled_images() -> str:
    return ("/bin/true, /bin/false, /bin/echo ARGS (also under /usr/bin, and true/false/echo through PATH "
            "for execlp/execvp), and spec files given by a relative path (\"./name\" runs name.c beside the spec)")


def image_key(path: str, use_path: bool) -> str:
    """The name an exec path is looked up by in the image table."""
    path = path.split("\0", 1)[0]
    for d in ("/bin/", "/usr/bin/"):
        if path.startswith(d) and path[len(d):] in BUILTIN_IMAGES:
            return "/bin/" + path[len(d):]
    if use_path and "/" not in path:
        return "/bin/" + path if path in BUILTIN_IMAGES else "PATH:" + path
    if path.startswith("/"):
        return os.path.normpath(path)
    return "./" + os.path.normpath(path)


def is_user_image(key: str) -> bool:
    return key.startswith("./")


def exists_outside_model(key: str) -> bool:
    """Is there something real at this path that the model has no image for?"""
    if key.startswith("PATH:"):
        return shutil.which(key[5:]) is not None
    return key.startswith("/") and os.path.exists(key)


def builtin_image(name: str) -> ir.Program:
    """/bin/true, /bin/false or /bin/echo as a two-function program: main, then libc's exit."""
    from forkspec.frontend.lower import exit_routine, liveness

    loc = ir.Loc(0, 0, f"/bin/{name}")
    if name == "echo":
        body = (ir.Builtin(0, "__echo", (), loc), ir.Builtin(None, "_exit", (ir.Temp(0),), loc))
    else:
        body = (ir.Builtin(None, "_exit", (ir.Const(0 if name == "true" else 1),), loc),)
    main = ir.Function("main", (), (), 0, 1, body, liveness(body, 1), loc)
    return ir.Program(path=f"/bin/{name}", source="", functions=(main, exit_routine()),
                      function_index={"main": 0, "__libc_exit": 1}, main=0, exit_routine=1)


def _exec_sites(program: ir.Program):
    for fn in program.functions:
        for ins in fn.body:
            if isinstance(ins, ir.Builtin) and ins.name in EXEC_CALLS and ins.args:
                yield ins


def link_images(program: ir.Program, load) -> ir.Program:
    """The root program with its image table: the builtin images, and every spec file its
    exec calls (and theirs) name by a constant relative path. `load(path)` lowers a spec file."""
    table: dict[str, ir.Program] = {"/bin/" + n: builtin_image(n) for n in BUILTIN_IMAGES}
    todo = [program]
    while todo:
        prog = todo.pop()
        base = Path(prog.path).parent
        for ins in _exec_sites(prog):
            arg = ins.args[0]
            if not (isinstance(arg, ir.Const) and isinstance(arg.value, str)):
                continue
            key = image_key(arg.value, ins.name in ("execlp", "execvp"))
            if key in table:
                continue
            source = base / (key[2:] + ".c")
            if is_user_image(key) and source.is_file():
                table[key] = load(str(source))
                todo.append(table[key])
            elif exists_outside_model(key):
                raise UnsupportedError(f"{ins.name} of {arg.value!r}, an image that is not modelled",
                                       Span(prog.path, ins.loc.line, ins.loc.col),
                                       (f"modelled images: {modelled_images()}",))
    return replace(program, images=tuple(sorted(table.items())))


def program_of(root: ir.Program, proc) -> ir.Program:
    """The program a process runs: the spec's, or the image it exec'd."""
    return root if not proc.image else root.images[proc.image - 1][1]


class ExecCalls:
    """The exec family, as `_b_<name>` methods of the kernel's Exec."""

    def image_program(self, image: int) -> ir.Program:
        return self.root if not image else self.root.images[image - 1][1]

    def string_list(self, addr) -> list[str]:
        """A NULL-terminated array of strings (argv) at `addr`."""
        out = []
        for i in range(MAX_ARGS):
            v = self.load(addr + ir.CELL * i)
            if v == 0:
                return out
            if not isinstance(v, str):
                raise ModelError("exec arguments must be strings")
            out.append(v.split("\0", 1)[0])
        raise ModelError(f"an argument list of more than {MAX_ARGS} strings, or without its NULL")

    def _b_execl(self, ins, choice, preview=False):
        return self.exec_list(ins, use_path=False)

    def _b_execlp(self, ins, choice, preview=False):
        return self.exec_list(ins, use_path=True)

    def exec_list(self, ins, use_path: bool):
        values = [self.eval(a) for a in ins.args]
        if 0 not in values[1:]:
            raise ModelError(f"{ins.name}: the argument list must end with NULL")
        argv = values[1 : values.index(0, 1)]
        if not all(isinstance(a, str) for a in argv):
            raise ModelError(f"{ins.name}: the arguments must be strings")
        return self.do_exec(values[0], [a.split("\0", 1)[0] for a in argv], use_path)

    def _b_execv(self, ins, choice, preview=False):
        return self.do_exec(self.eval(ins.args[0]), self.string_list(self.eval(ins.args[1])), False)

    def _b_execvp(self, ins, choice, preview=False):
        return self.do_exec(self.eval(ins.args[0]), self.string_list(self.eval(ins.args[1])), True)

    def _b_execve(self, ins, choice, preview=False):
        return self.do_exec(self.eval(ins.args[0]), self.string_list(self.eval(ins.args[1])), False)

    def do_exec(self, path, argv: list[str], use_path: bool):
        if not isinstance(path, str):
            raise ModelError("exec needs a path string")
        key = image_key(path, use_path)
        images = dict(self.root.images)
        if key not in images:
            if exists_outside_model(key):
                raise ModelError(f"exec of {path!r}, an image that is not modelled; modelled images: {modelled_images()}")
            self.set_errno(ENOENT)
            self.events.append(Event("exec_failed", self.pid, text=path, errno=ENOENT))
            return -1
        index = 1 + [k for k, _ in self.root.images].index(key)
        self.replace_image(index, images[key], path, argv)
        raise ImageReplaced

    def replace_image(self, index: int, program: ir.Program, path: str, argv: list[str]) -> None:
        """execve's point of no return: a vfork parent resumes, FD_CLOEXEC fds close, and
        the process starts the new image's main with fresh memory and stdio."""
        self.vfork_release_for_exec()
        for fd in sorted(fd for fd, (_, cloexec) in self.fds.items() if cloexec):
            self.close_fd(fd)
        if self.out.buf or self.err.buf:
            self.events.append(Event("exec_discards", self.pid, data=self.out.buf + self.err.buf))
        cells = tuple(program.globals_init)
        self.ptes = {}
        for i in range(0, max(len(cells), 1), ir.CELLS_PER_PAGE):
            page = cells[i : i + ir.CELLS_PER_PAGE]
            while page and page[-1] == 0:
                page = page[:-1]
            self.ptes[(ir.DATA_BASE >> 12) + i // ir.CELLS_PER_PAGE] = [len(self.mem), 1]
            self.mem.append(page)
        self.mem_dirty = True
        self.refcounts = None
        self.has_shared = False
        fd1 = self.fds.get(1)
        on_tty = self.config.stdout == "tty" and fd1 is not None and self.ofds[fd1[0]].kind == "stdout"
        self.out = stdio.stdout_stream("tty" if on_tty else "file")
        self.err = stdio.stderr_stream()
        self.atexit, self.exit_plan, self.pending = [], None, []
        # One thread runs the new image; caught signals return to SIG_DFL, ignored ones stay
        # ignored, and every sa_flags/sa_mask is cleared (the kernel's flush_signal_handlers).
        self.thread, self.multi = None, False
        self.p = self.p._replace(
            image=index, argv=tuple(argv), mmap_next=0, threads=(), main_state="", atfork=(), heap=(),
            vfork_depth=0, handlers=(), sigdisp=tuple((s, h, 0, 0) for s, h, _, _ in self.p.sigdisp if h == SIG_IGN))
        self.program = program
        self.events.append(Event("exec", self.pid, text=path))
        self.func, self.stack_rest = None, []
        main = program.functions[program.main]
        self.push(program.main, [len(argv), 0][: len(main.params)], None, 0)

    def _b___echo(self, ins, choice, preview=False):
        """/bin/echo: its arguments separated by spaces, then a newline (none after -n), in one
        write; if that fails, coreutils' message on stderr and status 1."""
        args = list(self.p.argv[1:])
        newline = "\n"
        if args and args[0] == "-n":
            args, newline = args[1:], ""
        if self.write(1, " ".join(args) + newline) >= 0 or not self.alive:
            return 0
        from forkspec.kernel.step import STRERROR

        err = self.load(ir.DATA_BASE + ir.ERRNO_SLOT * ir.CELL)
        self.write(2, f"{self.p.argv[0] if self.p.argv else 'echo'}: write error: {STRERROR.get(err, err)}\n")
        return 1
