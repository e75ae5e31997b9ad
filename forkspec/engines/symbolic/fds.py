"""File descriptors over Z3 terms: the rules of `kernel/files.py`, transcribed call for call.

Each slot has an fd table of `FdShape.fds` entries, `("fd", s, i)`: the index of an open
file description or -1, and its FD_CLOEXEC bit `("cx", s, i)`. Descriptions are shared by
every slot (`("ofd", field, j)`: kind, target, status flags, offset, flock lock), handed out
in order as the kernel appends them (`("nof", "n")`), never reused. As in the kernel, a
description's reference count is not stored but counted over the fd tables (a slot that
ended has closed all of its fds), so a pipe's readers and writers are the references to
its two descriptions: pipe() makes the read end at j and the write end at j + 1, and the
pipe is named by j (its byte count `("pipe", "len", j)`). Named files are the constant
names open() is called with: whether each exists, its length, and for `no-lost-write`
the description that wrote each byte (the kernel's ghost `owners`).

What is beyond this encoding (a path that reaches it sets `oob`, so no `holds` follows):
more fds, descriptions or file and pipe bytes than the shape holds, stdout or stderr
redirected to a file or a pipe, a read() that fills a char array's terminating byte.
Char arrays, pipe and file contents are bit-vectors (`chars`).
"""
from __future__ import annotations

import z3

from forkspec import ir
from forkspec.engines.symbolic import chars
from forkspec.engines.symbolic.chars import Data
from forkspec.engines.symbolic.expr import Chars, as_int, bv, is_sym, truth
from forkspec.engines.symbolic.program import NotEncoded
from forkspec.engines.symbolic import locks as rl
from forkspec.kernel.files import (
    EBADF, EEXIST, EINVAL, ENOENT, ESPIPE, EAGAIN, F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_GETFL, F_GETLK, F_SETFD,
    F_SETFL, F_SETLK, F_SETLKW, FD_CLOEXEC, LOCK_EX, LOCK_NB, LOCK_SH, LOCK_UN, MAX_FDS, O_ACCMODE, O_APPEND,
    O_CLOEXEC, O_CREAT, O_EXCL, O_LARGEFILE, O_NONBLOCK, O_RDONLY, O_TRUNC, O_WRONLY, OPEN_FLAGS, PIPE_BUF,
    SEEK_CUR, SEEK_END, SEEK_SET, SIGPIPE, STATUS_FLAGS,
)
from forkspec.kernel.files import EPIPE
from forkspec.kernel.step import STRERROR

STDIN, STDOUT, STDERR, FILE, PIPE = 0, 1, 2, 3, 4  # description kinds (the kernel's Ofd.kind)
FD_BUILTINS = frozenset({"open", "close", "dup", "dup2", "pipe", "lseek", "fcntl", "flock", "read"})
FD_LOCAL = frozenset({"pipe", "dup"})  # the kernel's LOCAL_FD_CALLS: only the caller's table
MAX_TABLE = 16
MAX_OFDS = 27
MAX_BYTES = 16  # what a file or a pipe holds at most in the encoding (more is beyond it)
RECORD_LOCKS = (F_GETLK, F_SETLK, F_SETLKW)
ERRNO = ("g", ir.ERRNO_SLOT)
NO_OWNER = z3.BitVecVal(255, 8)  # a file byte no description wrote (the kernel's owner -1); owners fit in 8 bits
FD_STATE = frozenset({"nof", "fd", "cx", "ofd", "pipe", "file", "rl"})  # the state variables' kinds


def uses_fds(lay) -> bool:
    """Does the program call anything that changes an fd table (else fds 0-2 stay as they start)?"""
    return any(isinstance(lay.instr(k), ir.Builtin) and lay.instr(k).name in FD_BUILTINS for k in lay.locations)


class FdShape:
    """How many fds, descriptions, files and file bytes the encoding holds for a program."""

    def __init__(self, program: ir.Program, slots: int):
        sites = {name: 0 for name in FD_BUILTINS}
        files: list[str] = []
        high = 0
        for fn in program.functions:
            for ins in fn.body:
                if not (isinstance(ins, ir.Builtin) and ins.name in FD_BUILTINS):
                    continue
                sites[ins.name] += 1
                if ins.name == "open":
                    name = _file_name(ins)
                    if name not in files:
                        files.append(name)
                if ins.name == "fcntl":
                    _check_fcntl(ins)
                if ins.name == "dup2" and isinstance(ins.args[1], ir.Const) and isinstance(ins.args[1].value, int):
                    high = max(high, ins.args[1].value)
        created = sites["open"] + 2 * sites["pipe"]
        # bytes a file or a pipe can hold: what every process writes running each write(2) site
        # once (more, in a loop, is beyond the encoding)
        written = sum(_write_size(ins) for fn in program.functions for ins in fn.body
                      if isinstance(ins, ir.Builtin) and ins.name == "write")
        self.bytes = max(1, min(MAX_BYTES, written * slots))
        self.fds = min(MAX_TABLE, max(3 + created + sites["dup"] + sites["fcntl"], high + 1))
        self.ofds = min(MAX_OFDS, 3 + slots * created)
        self.files = files
        self.slots = slots
        self.signals = any(isinstance(ins, ir.Builtin) and ins.name.startswith("sig")
                           for fn in program.functions for ins in fn.body)
        self.locks = min(rl.MAX_LOCKS, max(2, rl.lock_sites(program))) if rl.uses_locks(program) else 0

    def names(self) -> list:
        out = [("nof", "n")]
        for s in range(self.slots):
            out += [("fd", s, i) for i in range(self.fds)] + [("cx", s, i) for i in range(self.fds)]
            out += [("rl", s, f, i, x) for f in range(len(self.files)) for i in range(self.locks) for x in rl.FIELDS]
        for j in range(self.ofds):
            out += [("ofd", f, j) for f in ("kind", "tgt", "fl", "off", "lk")] + [("pipe", "len", j), ("pipe", "data", j)]
        for f in range(len(self.files)):
            out += [("file", "ex", f), ("file", "len", f), ("file", "data", f)]
            out += [("file", "own", f, i) for i in range(self.bytes)]
        return out

    def initial(self, name) -> object:
        """The kernel's initial state: slot 0 has fds 0, 1, 2 on stdin, stdout, stderr."""
        kind = name[0]
        if kind == "nof":
            return bv(3)
        if kind == "fd":
            return bv(name[2] if name[1] == 0 and name[2] < 3 else -1)
        if kind == "ofd" and name[2] < 3:
            j = name[2]
            return bv({"kind": j, "tgt": j, "fl": 0 if j == 0 else 1}.get(name[1], 0))
        if kind == "file" and name[1] == "own":
            return NO_OWNER
        if name[1] == "data":
            return z3.BitVecVal(0, 8 * self.bytes)
        return bv(0)


def _write_size(ins) -> int:
    n = ins.args[2]
    return n.value if isinstance(n, ir.Const) and isinstance(n.value, int) and n.value >= 0 else MAX_BYTES


def _file_name(ins) -> str:
    """open()'s constant path, as the kernel names the file (refused otherwise)."""
    path = ins.args[0]
    if not (isinstance(path, ir.Const) and isinstance(path.value, str)):
        raise NotEncoded("an open() of a path that is not a constant string", ins.loc)
    name = path.value.split("\0", 1)[0]
    name = name[2:] if name.startswith("./") else name
    if not name or "/" in name:
        raise NotEncoded(f"an open() of {name!r}: only files in the working directory", ins.loc)
    return name


COMMANDS = (F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_DUPFD, F_DUPFD_CLOEXEC) + RECORD_LOCKS


def _check_fcntl(ins) -> None:
    cmd = ins.args[1]
    if not (isinstance(cmd, ir.Const) and isinstance(cmd.value, int)):
        return  # split over the commands when it runs (`FdSteps.b_fcntl`)
    if cmd.value not in COMMANDS:
        raise NotEncoded(f"the fcntl() command {cmd.value}", ins.loc)


def _pick(options: list, default):
    """If-chain over (condition, value) pairs."""
    term = _v(default)
    for cond, value in reversed(options):
        term = z3.If(cond, _v(value), term)
    return term


def _v(x):
    return bv(x) if isinstance(x, int) else as_int(x)


class FdSteps(rl.LockSteps):
    """The fd system calls as `b_<name>` methods of the symbolic `Step` (mixed in)."""

    # ------------------------------------------------------------ state access

    @property
    def shape(self) -> FdShape:
        return self.enc.fd

    def fd_entry(self, p, s: int, fd):
        """The description index `fd` refers to in slot s's table, -1 when not open."""
        n = self.shape.fds
        if not is_sym(fd):
            return self.get(p, ("fd", s, fd)) if 0 <= fd < n else bv(-1)
        return _pick([(fd == i, self.get(p, ("fd", s, i))) for i in range(n)], -1)

    def ofd(self, p, field: str, j):
        if not is_sym(j):
            return self.get(p, ("ofd", field, j))
        return _pick([(j == k, self.get(p, ("ofd", field, k))) for k in range(self.shape.ofds)], 0)

    def set_ofd(self, p, field: str, j, value) -> None:
        if not is_sym(j):
            self.set(p, ("ofd", field, j), _v(value))
            return
        for k in range(self.shape.ofds):
            self.set(p, ("ofd", field, k), z3.If(j == k, _v(value), self.get(p, ("ofd", field, k))))

    def file_field(self, p, field: str, f):
        default = z3.BitVecVal(0, 8 * self.shape.bytes) if field == "data" else 0
        return _pick([(f == k, self.get(p, ("file", field, k))) for k in range(len(self.shape.files))], default)

    def refs(self, p, j):
        """How many fds of all slots refer to description j (the kernel's `refs`)."""
        terms = [z3.If(self.get(p, ("fd", c, i)) == j, bv(1), bv(0))
                 for c in range(self.enc.slots) for i in range(self.shape.fds)]
        return z3.Sum(terms)

    def free_fd(self, p, s: int, start=0):
        """The lowest fd at or above `start` not open in slot s; `fds` when there is none."""
        n = self.shape.fds
        return _pick([(z3.And(self.get(p, ("fd", s, i)) == -1, _v(start) <= i), i) for i in range(n)], n)

    def install(self, p, s: int, fd, index, cloexec) -> None:
        if not is_sym(fd):
            self.set(p, ("fd", s, fd), _v(index))
            self.set(p, ("cx", s, fd), _v(cloexec))
            self.std_fd_changed(p, fd)
            return
        for i in range(self.shape.fds):
            here = fd == i
            self.set(p, ("fd", s, i), z3.If(here, _v(index), self.get(p, ("fd", s, i))))
            self.set(p, ("cx", s, i), z3.If(here, _v(cloexec), self.get(p, ("cx", s, i))))
        self.std_fd_changed(p, fd)

    def close_entry(self, p, s: int, fd) -> None:
        self.release_locks(p, s, fd)
        if not is_sym(fd):
            self.set(p, ("fd", s, fd), bv(-1))
            self.std_fd_changed(p, fd)
            return
        for i in range(self.shape.fds):
            self.set(p, ("fd", s, i), z3.If(fd == i, bv(-1), self.get(p, ("fd", s, i))))
        self.std_fd_changed(p, fd)

    def std_fd_changed(self, p, fd) -> None:
        """On a terminal, glibc picks stdout's buffering at its first output from what fd 1 is
        (the kernel's stdout_target_changed): the encoding keeps it fixed, so that is beyond it."""
        if self.enc.line_buffered:
            self.beyond_if(p, _v(fd) == 1, "fd 1 changed on a terminal, where glibc picks stdout's buffering from it")

    def beyond_if(self, p, cond, why: str) -> None:
        """Where `cond` holds the path leaves the encoding, for the reason `why`."""
        cond = z3.simplify(cond)
        if z3.is_false(cond):
            return
        self.set(p, ("oob",), z3.Or(self.get(p, ("oob",)), cond))
        old = p.outside.get(why)
        p.outside[why] = cond if old is None else True if old is True else z3.Or(old, cond)

    def fail_with(self, p, s: int, code: int):
        self.store(p, s, ERRNO, code)
        return -1

    def new_ofd(self, p, kind: int, tgt, flags):
        """A new description at index `nof` (the kernel appends it); beyond past the shape's."""
        j = self.get(p, ("nof", "n"))
        self.beyond_if(p, j >= self.shape.ofds, f"more than {self.shape.ofds} open file descriptions")
        for field, v in (("kind", kind), ("tgt", tgt), ("fl", flags), ("off", 0), ("lk", 0)):
            self.set_ofd(p, field, j, v)
        self.set(p, ("nof", "n"), j + 1)
        return j

    # ------------------------------------------------------------ the process's fds

    def fd_fork(self, p, s: int, c: int) -> None:
        for i in range(self.shape.fds):
            self.set(p, ("fd", c, i), self.get(p, ("fd", s, i)))
            self.set(p, ("cx", c, i), self.get(p, ("cx", s, i)))

    def fd_exit(self, p, s: int) -> None:
        """Every fd closes when the process ends (the kernel's close_all_fds), and its record locks go."""
        self.release_locks(p, s)
        for i in range(self.shape.fds):
            self.set(p, ("fd", s, i), bv(-1))

    def std_write(self, p, s: int, fd: int, data) -> None:
        """Output of stdio or assert on fd 1 or 2, through slot s's fd table: the standard
        output or error wherever that fd refers to them; nothing when it is closed (EBADF)."""
        index = self.get(p, ("fd", s, fd))
        for std, name in ((STDOUT, ("out",)), (STDERR, ("err",))):
            old = self.get(p, name)
            self.set(p, name, z3.If(index == std, z3.Concat(old, data), old))
        self.beyond_if(p, index > STDERR, "stdout or stderr redirected to a file or pipe of the program's")

    # ------------------------------------------------------------ system calls

    def b_open(self, p, s, ins, ev):
        """kernel: FdCalls._b_open."""
        name = _file_name(ins)
        flags = ev.eval(ins.args[1])
        if is_sym(flags):
            raise NotEncoded("an open() with flags that are not a constant", ins.loc)
        if flags & ~OPEN_FLAGS or flags & O_ACCMODE == 3:
            raise NotEncoded(f"the open flags {flags:#o}", ins.loc)
        f = self.shape.files.index(name)
        fd = self.free_fd(p, s)
        out = []
        for q, full in self.cases(p, fd >= self.shape.fds):
            if full:
                self.beyond(q, s, f"more than {self.shape.fds} fds")
                out.append((q, None))
                continue
            exists = self.get(q, ("file", "ex", f)) == 1
            for r, there in self.cases(q, exists):
                if not there and not flags & O_CREAT:
                    out.append((r, self.fail_with(r, s, ENOENT)))
                    continue
                if there and flags & O_CREAT and flags & O_EXCL:
                    out.append((r, self.fail_with(r, s, EEXIST)))
                    continue
                self.set(r, ("file", "ex", f), bv(1))
                if flags & O_TRUNC and flags & O_ACCMODE != O_RDONLY:
                    self.set(r, ("file", "len", f), bv(0))
                    for i in range(self.shape.bytes):
                        self.set(r, ("file", "own", f, i), NO_OWNER)
                j = self.new_ofd(r, FILE, f, flags & (O_ACCMODE | STATUS_FLAGS))
                self.install(r, s, fd, j, 1 if flags & O_CLOEXEC else 0)
                out.append((r, fd))
        return out

    def b_close(self, p, s, ins, ev):
        fd = ev.eval(ins.args[0])
        out = []
        for q, closed in self.cases(p, self.fd_entry(p, s, fd) < 0):
            if closed:
                out.append((q, self.fail_with(q, s, EBADF)))
            else:
                self.close_entry(q, s, fd)
                out.append((q, 0))
        return out

    def b_pipe(self, p, s, ins, ev):
        """kernel: FdCalls.make_pipe: the two lowest free fds, the read end first."""
        addr = ev.eval(ins.args[0])
        if is_sym(addr) or not isinstance(addr, int):
            raise NotEncoded("a pipe() into an array that is not a variable", ins.loc)
        r = self.free_fd(p, s)
        out = []
        for q, full in self.cases(p, r >= self.shape.fds - 1):
            if full:
                self.beyond(q, s, f"more than {self.shape.fds} fds")
                out.append((q, None))
                continue
            j = self.new_ofd(q, PIPE, 0, O_RDONLY)
            self.set_ofd(q, "tgt", j, j)
            self.install(q, s, r, j, 0)
            w = self.free_fd(q, s, r + 1)
            k = self.new_ofd(q, PIPE, j, O_WRONLY)
            self.beyond_if(q, w >= self.shape.fds, f"more than {self.shape.fds} fds in one process")
            self.install(q, s, w, k, 0)
            cells = self.ctx(q, s, ins.loc).ctx
            self.store(q, s, cells.address_key(addr), r)
            self.store(q, s, cells.address_key(addr + ir.CELL), w)
            out.append((q, 0))
        return out

    def b_dup(self, p, s, ins, ev):
        index = self.fd_entry(p, s, ev.eval(ins.args[0]))
        out = []
        for q, closed in self.cases(p, index < 0):
            if closed:
                out.append((q, self.fail_with(q, s, EBADF)))
                continue
            out.extend(self.install_lowest(q, s, 0, index, 0))
        return out

    def install_lowest(self, p, s, start, index, cloexec) -> list:
        fd = self.free_fd(p, s, start)
        out = []
        for q, full in self.cases(p, fd >= self.shape.fds):
            if full:
                self.beyond(q, s, f"more than {self.shape.fds} fds")
                out.append((q, None))
            else:
                self.install(q, s, fd, index, cloexec)
                out.append((q, fd))
        return out

    def b_dup2(self, p, s, ins, ev):
        """kernel: FdCalls._b_dup2: `new` is closed first (silently), then refers to `old`'s description."""
        old, new = (ev.eval(a) for a in ins.args)
        index = self.fd_entry(p, s, old)
        bad = z3.Or(index < 0, _v(new) < 0, _v(new) >= MAX_FDS)
        out = []
        for q, fails in self.cases(p, bad):
            if fails:
                out.append((q, self.fail_with(q, s, EBADF)))
                continue
            for r, same in self.cases(q, _v(old) == _v(new)):
                if not same:
                    self.beyond_if(r, _v(new) >= self.shape.fds, f"more than {self.shape.fds} fds in one process")
                    self.release_locks(r, s, new)  # kernel: close_fd(new) when it is open
                    self.install(r, s, new, index, 0)
                out.append((r, new))
        return out

    def b_lseek(self, p, s, ins, ev):
        """kernel: FdCalls._b_lseek: the description's offset, which every fd on it shares."""
        fd, off, whence = (ev.eval(a) for a in ins.args)
        if is_sym(whence):
            raise NotEncoded("an lseek() with a whence that is not a constant", ins.loc)
        index = self.fd_entry(p, s, fd)
        out = []
        for q, closed in self.cases(p, index < 0):
            if closed:
                out.append((q, self.fail_with(q, s, EBADF)))
                continue
            kind = self.ofd(q, "kind", index)
            for r, pipe in self.cases(q, kind == PIPE):
                if pipe:
                    out.append((r, self.fail_with(r, s, ESPIPE)))
                    continue
                for t, std in self.cases(r, kind != FILE):
                    if std:
                        self.beyond(t, s, "lseek on the standard files")
                        out.append((t, None))
                        continue
                    if whence not in (SEEK_SET, SEEK_CUR, SEEK_END):
                        out.append((t, self.fail_with(t, s, EINVAL)))
                        continue
                    base = (bv(0), self.ofd(t, "off", index),
                            self.file_field(t, "len", self.ofd(t, "tgt", index)))[whence]
                    at = base + _v(off)
                    for u, neg in self.cases(t, at < 0):
                        if neg:
                            out.append((u, self.fail_with(u, s, EINVAL)))
                        else:
                            self.set_ofd(u, "off", index, at)
                            out.append((u, at))
        return out

    def b_fcntl(self, p, s, ins, ev):
        """kernel: FdCalls._b_fcntl; a command not known here is split over the commands."""
        cmd = ev.eval(ins.args[1])
        if not is_sym(cmd):
            return self.fcntl(p, s, ins, ev, cmd)
        out, rest = [], p
        for c in COMMANDS:
            if rest is None:
                break
            rest = self.pick(rest, cmd == c, lambda q, c=c: out.extend(self.fcntl(q, s, ins, self.ctx(q, s, ins.loc), c)))
        if rest is not None:
            self.beyond(rest, s, "an fcntl() command the model does not know")
            out.append((rest, None))
        return out

    def fcntl(self, p, s, ins, ev, cmd: int):
        if cmd in RECORD_LOCKS:
            return self.record_lock(p, s, ins, ev, cmd)
        fd = ev.eval(ins.args[0])
        arg = ev.eval(ins.args[2]) if len(ins.args) > 2 else 0
        index = self.fd_entry(p, s, fd)
        out = []
        for q, closed in self.cases(p, index < 0):
            if closed:
                out.append((q, self.fail_with(q, s, EBADF)))
            elif cmd == F_GETFD:
                out.append((q, _pick([(_v(fd) == i, self.get(q, ("cx", s, i))) for i in range(self.shape.fds)], 0)))
            elif cmd == F_SETFD:
                for i in range(self.shape.fds):
                    self.set(q, ("cx", s, i), z3.If(_v(fd) == i, _v(arg) & FD_CLOEXEC, self.get(q, ("cx", s, i))))
                out.append((q, 0))
            elif cmd == F_GETFL:
                large = z3.If(self.ofd(q, "kind", index) == FILE, bv(O_LARGEFILE), bv(0))
                out.append((q, self.ofd(q, "fl", index) | large))
            elif cmd == F_SETFL:
                self.set_ofd(q, "fl", index, (self.ofd(q, "fl", index) & O_ACCMODE) | (_v(arg) & STATUS_FLAGS))
                out.append((q, 0))
            else:  # F_DUPFD, F_DUPFD_CLOEXEC
                for r, bad in self.cases(q, z3.Or(_v(arg) < 0, _v(arg) >= MAX_FDS)):
                    if bad:
                        out.append((r, self.fail_with(r, s, EINVAL)))
                    else:
                        out.extend(self.install_lowest(r, s, arg, index, 1 if cmd == F_DUPFD_CLOEXEC else 0))
        return out

    def fd_b_write(self, p, s, ins, ev):
        """kernel: Exec._b_write and FdCalls.fd_write: one atomic write through the fd table."""
        fd, n = ev.eval(ins.args[0]), ev.eval(ins.args[2])
        index = self.fd_entry(p, s, fd)
        bad = z3.Or(index < 0, self.ofd(p, "fl", index) & O_ACCMODE == O_RDONLY)
        out = []
        for q, fails in self.cases(p, bad):  # EBADF comes first, even for 0 bytes
            if fails:
                out.append((q, self.fail_with(q, s, EBADF)))
                continue
            for r, none in self.cases(q, _v(n) == 0):
                if none:
                    out.append((r, 0))
                    continue
                for t, buf in self.string_cases(r, ins.args[1], self.ctx(r, s, ins.loc)):
                    size = len(buf) if isinstance(buf, str) else buf.length
                    for u, past in self.cases(t, z3.Or(_v(n) < 0, _v(n) > size + 1)):
                        if past:
                            if not is_sym(n):
                                raise NotEncoded("write() past the end of its buffer", ins.loc)
                            self.beyond(u, s, "a write() past the end of its buffer")
                            out.append((u, None))
                        elif isinstance(buf, str) and not is_sym(n):
                            out.extend(self.fd_write(u, s, index, Data.of((buf + "\0")[:n]), ins))
                        else:
                            bits = chars.const_bits(buf, size) if isinstance(buf, str) else buf.bits
                            data = Data(chars.resize(bits, 8 * (size + 1)), n, size + 1)
                            out.extend(self.fd_write(u, s, index, data, ins))
        return out

    def string_cases(self, p, e, ev) -> list:
        """(path, string or char array) for a buffer argument, split where `c ? "a" : "b"` is symbolic."""
        if isinstance(e, ir.Cond):
            out = []
            for q, taken in self.cases(p, truth(ev.eval(e.cond))):
                out.extend(self.string_cases(q, e.then if taken else e.other, self.ctx(q, ev.ctx.s, ev.line)))
            return out
        v = ev.eval(e)
        if is_sym(v):  # a string kept in a variable (`symbolic.strings`)
            v = ev.string(v, id(e))
        if isinstance(v, int) and not is_sym(v):
            v = ev.ctx.load(ev.ctx.address_key(v))  # a pointer to a char array
        if not isinstance(v, (str, Chars)):
            raise NotEncoded("write() of anything but a string or a char array", ev.line)
        return [(p, v)]

    def fd_write(self, p, s: int, index, data: Data, ins) -> list:
        """kernel: FdCalls.fd_write, on an open description that can be written."""
        kind = self.ofd(p, "kind", index)
        out = []
        for r, pipe in self.cases(p, kind == PIPE):
            if pipe:
                out.extend(self.pipe_write(r, s, index, data, ins))
                continue
            for t, file in self.cases(r, kind == FILE):
                if file:
                    out.extend(self.file_write(t, s, index, data))
                    continue
                text = data.text()
                for std, name in ((STDOUT, ("out",)), (STDERR, ("err",))):
                    old = self.get(t, name)
                    self.set(t, name, z3.If(index == std, z3.Concat(old, text), old))
                out.append((t, data.count))
        return out

    def pipe_write(self, p, s: int, index, data: Data, ins) -> list:
        """A write to a pipe: SIGPIPE (its default action kills) without a reader, else appended."""
        if data.limit > PIPE_BUF:
            raise NotEncoded(f"a write of {data.limit} bytes to a pipe (more than PIPE_BUF)", ins.loc)
        reader = index - 1
        out = []
        for q, none in self.cases(p, self.refs(p, reader) == 0):
            if none:
                if self.lay.signals.used:  # kernel: SIGPIPE to the writer, taken before write returns; EPIPE
                    self.send(q, s, SIGPIPE, z3.BoolVal(True))
                    out.append((q, self.fail_with(q, s, EPIPE)))
                    continue
                self.terminate(q, s, SIGPIPE)
                out.append((q, None))
                continue
            size = self.pipe_field(q, "len", reader)
            for r, full in self.cases(q, size + _v(data.count) > self.shape.bytes):
                if full:
                    self.beyond(r, s, f"more than {self.shape.bytes} bytes in a pipe")
                    out.append((r, None))
                    continue
                w = 8 * self.shape.bytes
                bits = chars.resize(data.bits, w) & chars.mask(data.count, w)
                for j in range(self.shape.ofds):
                    here = reader == j
                    old, held = self.get(r, ("pipe", "len", j)), self.get(r, ("pipe", "data", j))
                    self.set(r, ("pipe", "len", j), z3.If(here, old + _v(data.count), old))
                    self.set(r, ("pipe", "data", j), z3.If(here, held | chars.shift_bytes(bits, old, True), held))
                out.append((r, data.count))
        return out

    def pipe_field(self, p, field: str, j):
        return _pick([(j == k, self.get(p, ("pipe", field, k))) for k in range(self.shape.ofds)],
                     0 if field == "len" else z3.BitVecVal(0, 8 * self.shape.bytes))

    def file_write(self, p, s: int, index, data: Data) -> list:
        """kernel: FdCalls.file_write: at the offset, or at end of file with O_APPEND; bytes
        another description wrote that this write replaces are a lost write."""
        f = self.ofd(p, "tgt", index)
        size = self.file_field(p, "len", f)
        at = z3.If(self.ofd(p, "fl", index) & O_APPEND != 0, size, self.ofd(p, "off", index))
        end = at + _v(data.count)
        out = []
        for q, big in self.cases(p, end > self.shape.bytes):
            if big:
                self.beyond(q, s, f"a file longer than {self.shape.bytes} bytes")
                out.append((q, None))
                continue
            w = 8 * self.shape.bytes
            # within the file's bytes (the guard above) every position fits in 8 bits
            at8, end8, size8, owner = (z3.Extract(7, 0, x) for x in (at, end, size, _v(index)))
            span = chars.mask(data.count, w)
            bits = chars.shift_bytes(chars.resize(data.bits, w) & span, at8, True)
            span = chars.shift_bytes(span, at8, True)
            lost = []
            for k in range(len(self.shape.files)):
                here = f == k
                for i in range(self.shape.bytes):
                    own = self.get(q, ("file", "own", k, i))
                    hit = z3.And(here, z3.ULE(at8, i), z3.UGT(end8, i))
                    lost.append(z3.And(hit, z3.UGT(size8, i), own != NO_OWNER, own != owner))
                    self.set(q, ("file", "own", k, i), z3.If(hit, owner, own))
                old = self.get(q, ("file", "len", k))
                self.set(q, ("file", "len", k), z3.If(z3.And(here, end > old), end, old))
                held = self.get(q, ("file", "data", k))
                self.set(q, ("file", "data", k), z3.If(here, (held & ~span) | bits, held))
            q.event("lost_write", z3.Or(lost))
            self.set_ofd(q, "off", index, end)
            out.append((q, data.count))
        return out

    def b_read(self, p, s, ins, ev):
        """kernel: FdCalls._b_read and fd_call_ready: a file from the shared offset, a pipe from
        its front; an empty pipe with a writer waits (0, end of file, once none is left)."""
        fd, addr, n, size = (ev.eval(a) for a in ins.args)
        if is_sym(addr) or is_sym(size) or not isinstance(addr, int):
            raise NotEncoded("a read() into something that is not a char array variable", ins.loc)
        key = self.ctx(p, s, ins.loc).ctx.address_key(addr)
        length = self.lay.char_cells.get(key)
        if length is None or length != size - 1:
            raise NotEncoded("a read() into something that is not a whole char array", ins.loc)
        if not is_sym(n) and not 0 <= n <= size:
            raise NotEncoded(f"a read of {n} bytes into a {size}-byte buffer", ins.loc)
        index = self.fd_entry(p, s, fd)
        kind, flags = self.ofd(p, "kind", index), self.ofd(p, "fl", index)
        held = self.pipe_field(p, "len", index)
        writers = self.refs(p, index + 1)
        p.guard.append(self.read_ready(p, s, ins, ev))
        out = []
        for q, bad in self.cases(p, z3.Or(index < 0, flags & O_ACCMODE == O_WRONLY, _v(n) < 0, _v(n) > size)):
            if bad:
                if is_sym(n):
                    self.beyond_if(q, z3.Or(_v(n) < 0, _v(n) > size), "read() of a count outside its buffer")
                out.append((q, self.fail_with(q, s, EBADF)))
                continue
            for r, std in self.cases(q, z3.Or(kind == STDOUT, kind == STDERR)):
                if std:
                    self.beyond(r, s, "a read of the standard output or error")
                    out.append((r, None))
                    continue
                for t, pipe in self.cases(r, kind == PIPE):
                    if pipe:
                        out.extend(self.pipe_read(t, s, key, length, index, n, held, writers, flags))
                    else:
                        out.extend(self.file_read(t, s, key, length, index, n, kind))
        return out

    def fd_call_ready(self, p, s, ins, ev):
        """kernel: fd_call_ready: would this read, flock or fcntl return now (not wait)?"""
        if ins.name == "read":
            return self.read_ready(p, s, ins, ev)
        if ins.name == "flock":
            return self.flock_ready(p, s, ins, ev)
        cmd = ev.eval(ins.args[1]) if len(ins.args) > 2 else None
        if is_sym(cmd):
            raise NotEncoded("an fcntl() with a command that is not a constant, interrupted by a handler", ins.loc)
        return self.setlkw_ready(p, s, ins, ev) if cmd == F_SETLKW else z3.BoolVal(True)

    def read_ready(self, p, s, ins, ev):
        """An empty pipe with a writer left, read without O_NONBLOCK, waits."""
        fd, n = ev.eval(ins.args[0]), ev.eval(ins.args[2])
        index = self.fd_entry(p, s, fd)
        kind, flags = self.ofd(p, "kind", index), self.ofd(p, "fl", index)
        waits = z3.And(index >= 0, _v(n) != 0, kind == PIPE, flags & O_NONBLOCK == 0, flags & O_ACCMODE == O_RDONLY,
                       self.pipe_field(p, "len", index) == 0, self.refs(p, index + 1) > 0)
        return z3.Not(waits)

    def flock_ready(self, p, s, ins, ev):
        """A blocking flock waits while another description's lock conflicts (a conversion
        drops the old lock first and so does not wait at once)."""
        fd, op = ev.eval(ins.args[0]), ev.eval(ins.args[1])
        if is_sym(op):
            raise NotEncoded("a flock() with an operation that is not a constant", ins.loc)
        if op & LOCK_NB or op & LOCK_UN:
            return z3.BoolVal(True)
        index = self.fd_entry(p, s, fd)
        want = LOCK_EX if op & LOCK_EX else LOCK_SH
        held = self.ofd(p, "lk", index)
        converting = z3.And(held != 0, held != want)
        return z3.Or(index < 0, self.ofd(p, "kind", index) != FILE, converting,
                     z3.Not(self.flock_conflict(p, index, want)))

    def pipe_read(self, p, s, key, length, index, n, held, writers, flags) -> list:
        out = []
        for q, again in self.cases(p, z3.And(_v(n) != 0, held == 0, writers > 0, flags & O_NONBLOCK != 0)):
            if again:
                out.append((q, self.fail_with(q, s, EAGAIN)))
                continue
            count = z3.If(_v(n) < held, _v(n), held)
            data = self.pipe_field(q, "data", index)
            for j in range(self.shape.ofds):
                here = index == j
                old, bits = self.get(q, ("pipe", "len", j)), self.get(q, ("pipe", "data", j))
                self.set(q, ("pipe", "len", j), z3.If(here, old - count, old))
                self.set(q, ("pipe", "data", j), z3.If(here, chars.shift_bytes(bits, count, False), bits))
            self.read_into(q, s, key, length, data, count)
            out.append((q, count))
        return out

    def file_read(self, p, s, key, length, index, n, kind) -> list:
        """A file from the description's offset (stdin is /dev/null: nothing)."""
        f = self.ofd(p, "tgt", index)
        off = self.ofd(p, "off", index)
        left = self.file_field(p, "len", f) - off
        count = z3.If(kind == STDIN, bv(0), z3.If(left <= 0, bv(0), z3.If(_v(n) < left, _v(n), left)))
        data = chars.shift_bytes(self.file_field(p, "data", f), off, False)
        self.set_ofd(p, "off", index, off + count)
        self.read_into(p, s, key, length, data, count)
        return [(p, count)]

    def read_into(self, p, s, key, length, data, count) -> None:
        """The bytes read replace the array's first `count`; a read that fills its NUL's place
        too lengthens the kernel's string, which is beyond the encoding."""
        self.beyond_if(p, count > length, "read() into a char array's last byte")
        w = chars.width(length)
        span = chars.mask(count, w)
        old = self.get(p, ("m", s, key))
        self.set(p, ("m", s, key), (old & ~span) | (chars.resize(data, w) & span))

    def b_flock(self, p, s, ins, ev):
        """kernel: FdCalls._b_flock and fd_call_ready: the lock belongs to the description; a
        conversion drops the old lock first, and a blocking request then waits at the call."""
        fd, op = ev.eval(ins.args[0]), ev.eval(ins.args[1])
        if is_sym(op):
            raise NotEncoded("a flock() with an operation that is not a constant", ins.loc)
        index = self.fd_entry(p, s, fd)
        kind = op & ~LOCK_NB
        is_file = self.ofd(p, "kind", index) == FILE
        p.guard.append(self.flock_ready(p, s, ins, ev))
        out = []
        for q, closed in self.cases(p, index < 0):
            if closed:
                out.append((q, self.fail_with(q, s, EBADF)))
                continue
            for r, file in self.cases(q, is_file):
                if not file:
                    self.beyond(r, s, "flock on something that is not a named file")
                    out.append((r, None))
                elif kind == LOCK_UN:
                    self.set_ofd(r, "lk", index, 0)
                    out.append((r, 0))
                elif kind not in (LOCK_SH, LOCK_EX):
                    out.append((r, self.fail_with(r, s, EINVAL)))
                else:
                    for t, conflict in self.cases(r, self.flock_conflict(r, index, kind)):
                        if not conflict:
                            self.set_ofd(t, "lk", index, kind)
                            out.append((t, 0))
                            continue
                        self.set_ofd(t, "lk", index, 0)
                        out.append((t, self.fail_with(t, s, EAGAIN) if op & LOCK_NB else STAY))
        return out

    def flock_conflict(self, p, index, want: int):
        """Another live description of the same file holds a lock that conflicts with `want`."""
        tgt = self.ofd(p, "tgt", index)
        out = []
        for j in range(3, self.shape.ofds):
            lk = self.get(p, ("ofd", "lk", j))
            out.append(z3.And(index != j, lk != 0, self.get(p, ("ofd", "kind", j)) == FILE,
                              self.get(p, ("ofd", "tgt", j)) == tgt,
                              z3.BoolVal(True) if want == LOCK_EX else lk == LOCK_EX, self.refs(p, j) > 0))
        return z3.Or(out) if out else z3.BoolVal(False)

    def b_perror(self, p, s, ins, ev):
        """kernel: Exec._b_perror: the message for errno on stderr, one term over errno's values
        (stderr is unbuffered: its length decides nothing)."""
        v = ev.eval(ins.args[0])
        v = ev.string(v, id(ins)) if is_sym(v) else v
        prefix = f"{v}: " if isinstance(v, str) and v else ""
        err = self.get(p, ("m", s, ERRNO))
        pieces, _ = self.text(ins, "Unknown error %ld\n", [err])
        msg = z3.Concat(*[t for t, _, _ in pieces])
        for code, text in reversed(list(STRERROR.items())):
            msg = z3.If(err == code, z3.StringVal(text + "\n"), msg)
        return [(q, None) for q in self.put(p, s, 2, ([(z3.Concat(z3.StringVal(prefix), msg), 0, None)], 0))]


class _Stay:
    """A handler's result: the call waits, the process stays at it (the kernel's CallWaits)."""


STAY = _Stay()


def _text(text: str) -> tuple:
    return [(z3.StringVal(text), len(text), text)], len(text)
