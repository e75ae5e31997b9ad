"""File descriptors, open file descriptions, pipes, named files and locks.

Each process has an fd table: fd -> (open file description, FD_CLOEXEC). fork copies
the table, so both processes point at the same descriptions: one offset, one set of
status flags, one flock lock (fork(2), fcntl(2), flock(2)). A description lives while
some fd refers to it; its reference count is computed from the fd tables, never
stored. fcntl record locks belong to a (process, file) pair instead: fork does not
copy them, and closing any fd of the file releases the owner's locks on it.

A pipe is a byte string: readers and writers are counted from the fd tables, so a
read of an empty pipe blocks while a writer is open and returns 0 (EOF) once none
is. Pipe writes are at most PIPE_BUF bytes, each one atomic; a pipe never fills in
the programs modelled (larger writes are refused). A write to a pipe without a
reader gets SIGPIPE. Named files are strings in the model's own file system, which
starts empty (a real run starts in an empty directory too).

`FdCalls` is mixed into the kernel's `Exec`; it uses Exec's memory, errno, events
and process fields.
"""
from __future__ import annotations

from forkspec import ir
from forkspec.errors import ModelError
from forkspec.kernel import stdio
from forkspec.kernel.events import Event
from forkspec.kernel.state import AREA_NONE, File, Ofd

O_ACCMODE, O_RDONLY, O_WRONLY, O_RDWR = 3, 0, 1, 2
O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_NONBLOCK, O_CLOEXEC = 0x40, 0x80, 0x200, 0x400, 0x800, 0x80000
O_LARGEFILE = 0x8000  # what F_GETFL shows for a file open()ed on x86-64
OPEN_FLAGS = O_ACCMODE | O_CREAT | O_EXCL | O_TRUNC | O_APPEND | O_NONBLOCK | O_CLOEXEC
STATUS_FLAGS = O_APPEND | O_NONBLOCK  # what F_SETFL can change
F_DUPFD, F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_GETLK, F_SETLK, F_SETLKW, F_DUPFD_CLOEXEC = 0, 1, 2, 3, 4, 5, 6, 7, 1030
FD_CLOEXEC = 1
F_RDLCK, F_WRLCK, F_UNLCK = 0, 1, 2
LOCK_SH, LOCK_EX, LOCK_NB, LOCK_UN = 1, 2, 4, 8
SEEK_SET, SEEK_CUR, SEEK_END = 0, 1, 2
PIPE_BUF = 4096
ENOENT, EBADF, EAGAIN, EEXIST, EINVAL, EMFILE, ESPIPE, EPIPE, EDEADLK = 2, 9, 11, 17, 22, 24, 29, 32, 35
SIGPIPE = 13
MAX_FDS = 1024  # RLIMIT_NOFILE's usual soft limit

# Calls that only touch the caller's own fd table: local steps.
LOCAL_FD_CALLS = frozenset({"pipe", "pipe2", "dup"})
FD_CALLS = frozenset({"read", "open", "close", "dup", "dup2", "pipe", "pipe2", "lseek", "fcntl", "flock"})
BLOCKING_FD_CALLS = frozenset({"read", "flock", "fcntl"})


def subtract(lock: tuple, start: int, end: int) -> list[tuple]:
    """What is left of a record lock (name, pid, type, s, e; e == -1 is "to infinity") outside [start, end)."""
    name, pid, typ, s, e = lock
    inf = float("inf")
    ls, le, cs, ce = s, inf if e < 0 else e, start, inf if end < 0 else end
    if le <= cs or ce <= ls:
        return [lock]
    out = []
    if ls < cs:
        out.append((name, pid, typ, ls, cs))
    if ce < le:
        out.append((name, pid, typ, ce, e))
    return out


def overlaps(s1: int, e1: int, s2: int, e2: int) -> bool:
    return (e2 < 0 or s1 < e2) and (e1 < 0 or s2 < e1)


def _same(new: tuple, old: tuple) -> tuple:
    return old if new == old else new


class CallWaits(Exception):
    """The call has done part of its work and now waits: the process stays at the call."""


class FdCalls:
    """System calls on file descriptors, as `_b_<name>` methods of the kernel's Exec."""

    # ------------------------------------------------------------ scratch state

    def unpack_files(self, state) -> None:
        self.ofds = list(state.ofds)
        self.pipes = list(state.pipes)
        self.files = {f.name: f for f in state.files}
        self.locks = list(state.locks)

    def files_fields(self) -> dict:
        """The new state's file fields; a field the step left as it was is the old state's very tuple,
        so states keep sharing it (and the visited table finds it by identity)."""
        old = self.state
        return {"ofds": _same(tuple(self.ofds), old.ofds), "pipes": _same(tuple(self.pipes), old.pipes),
                "files": _same(tuple(self.files[k] for k in sorted(self.files)), old.files),
                "locks": _same(tuple(sorted(self.locks)), old.locks)}

    def fd_table(self) -> tuple:
        if not self.fds_dirty:
            return self.p.fds
        return tuple((fd, o, c) for fd, (o, c) in sorted(self.fds.items()))

    # ------------------------------------------------------------ reference counts

    def all_fd_entries(self):
        """(pid, description index) for every fd of every process, this one's scratch table included."""
        for pid, p in self.procs.items():
            if pid == self.pid:
                continue
            for _, o, _ in p.fds:
                yield pid, o
        for o, _ in self.fds.values():
            yield self.pid, o

    def refs(self, index: int) -> int:
        return sum(1 for _, o in self.all_fd_entries() if o == index)

    def pipe_ends(self, pipe: int) -> tuple[int, int]:
        """How many fds (over all processes) are open on the read and the write end of `pipe`."""
        readers = writers = 0
        for _, o in self.all_fd_entries():
            d = self.ofds[o]
            if d.kind == "pipe" and d.target == pipe:
                if d.flags & O_ACCMODE == O_RDONLY:
                    readers += 1
                else:
                    writers += 1
        return readers, writers

    # ------------------------------------------------------------ the fd table

    def lookup(self, fd) -> tuple[int, Ofd] | None:
        e = self.fds.get(fd) if isinstance(fd, int) else None
        return None if e is None else (e[0], self.ofds[e[0]])

    def free_fd(self, start: int = 0) -> int:
        fd = start
        while fd in self.fds:
            fd += 1
        return fd

    def install(self, fd: int, index: int, cloexec: int = 0) -> int:
        self.fds[fd] = (index, cloexec)
        self.fds_dirty = True
        if fd == 1:
            self.stdout_target_changed()
        return fd

    def new_ofd(self, d: Ofd) -> int:
        self.ofds.append(d)
        return len(self.ofds) - 1

    def fail(self, code: int) -> int:
        self.set_errno(code)
        return -1

    def close_fd(self, fd: int) -> None:
        """close(2): drop the fd; the owner's record locks on the file go; the description
        (and its flock lock) goes with its last fd."""
        index, _ = self.fds.pop(fd)
        self.fds_dirty = True
        d = self.ofds[index]
        if d.kind == "file":
            self.locks = [lk for lk in self.locks if not (lk[0] == d.target and lk[1] == self.pid)]
        if self.refs(index) == 0:
            self.ofds[index] = None
        if fd == 1:
            self.stdout_target_changed()

    def close_all_fds(self) -> None:
        """At exit every fd is closed and every record lock of the process released; a
        description no other process refers to goes (one pass over the fd tables)."""
        closing = {o for o, _ in self.fds.values()}
        self.fds = {}
        self.fds_dirty = True
        if closing:
            kept = {o for pid, p in self.procs.items() if pid != self.pid for _, o, _ in p.fds}
            for o in closing - kept:
                self.ofds[o] = None
        if self.locks:
            self.locks = [lk for lk in self.locks if lk[1] != self.pid]

    def stdout_target_changed(self) -> None:
        """glibc picks stdout's buffering (isatty, st_blksize) when the stream first writes,
        so a redirection of fd 1 before any output decides it; after that nothing changes."""
        if self.config.stdout != "tty" or self.out.area != AREA_NONE or self.out.buf:
            return
        tty, file = stdio.stdout_stream("tty"), stdio.stdout_stream("file")
        if (self.out.mode, self.out.size) not in ((tty.mode, tty.size), (file.mode, file.size)):
            return
        e = self.fds.get(1)
        on_tty = e is not None and self.ofds[e[0]].kind == "stdout"
        self.out = tty if on_tty else file

    # ------------------------------------------------------------ readiness and visibility

    def fd_call_ready(self, ins) -> bool:
        """Would this call return now? (A read of an empty pipe with a writer, or a lock
        held by someone else, waits.)"""
        name = ins.name
        if name == "read":
            e = self.lookup(self.eval(ins.args[0]))
            if e is None or self.eval(ins.args[2]) == 0 or e[1].kind != "pipe" or e[1].flags & O_NONBLOCK or e[1].flags & O_ACCMODE != O_RDONLY:
                return True
            return bool(self.pipes[e[1].target]) or self.pipe_ends(e[1].target)[1] == 0
        if name == "flock":
            op = self.eval(ins.args[1])
            e = self.lookup(self.eval(ins.args[0]))
            if op & LOCK_NB or op & LOCK_UN or e is None or e[1].kind != "file":
                return True
            want = LOCK_EX if op & LOCK_EX else LOCK_SH
            converting = e[1].flock not in (0, want)  # the old lock goes first, even if the call then waits
            return converting or not self.flock_conflict(e[0], e[1], want)
        if name == "fcntl" and len(ins.args) > 2 and self.eval(ins.args[1]) == F_SETLKW:
            req = self.lock_request(self.eval(ins.args[0]), self.eval(ins.args[2]))
            return (not isinstance(req, tuple) or req[2] == F_UNLCK or self.record_conflict(req) is None
                    or self.would_deadlock(req))
        return True

    def fd_call_visible(self, ins) -> bool:
        if ins.name in LOCAL_FD_CALLS:
            return False
        if ins.name == "fcntl" and self.eval(ins.args[1]) in (F_GETFD, F_SETFD, F_DUPFD, F_DUPFD_CLOEXEC):
            return False
        return True

    # ------------------------------------------------------------ writing

    def fd_write(self, fd: int, data: str) -> int:
        """write(2) of `data` (already cut to size) to `fd`: the number of bytes written, or -1 with errno."""
        e = self.lookup(fd)
        if e is None or e[1].flags & O_ACCMODE == O_RDONLY:
            return self.fail(EBADF)
        index, d = e
        if d.kind in ("stdout", "stderr"):
            if d.kind == "stdout":
                self.stdout += data
            else:
                self.stderr += data
            self.events.append(Event("write", self.pid, fd=1 if d.kind == "stdout" else 2, data=data))
            return len(data)
        if d.kind == "pipe":
            return self.pipe_write(fd, d.target, data)
        return self.file_write(fd, index, d, data)

    def pipe_write(self, fd: int, pipe: int, data: str) -> int:
        if len(data) > PIPE_BUF:
            raise ModelError(f"a write of {len(data)} bytes to a pipe: only writes up to PIPE_BUF ({PIPE_BUF}) "
                             "bytes, which are atomic, are modelled")
        if self.pipe_ends(pipe)[0] == 0:
            return self.sigpipe()
        self.pipes[pipe] += data
        self.events.append(Event("pipe_write", self.pid, fd=fd, data=data))
        return len(data)

    def sigpipe(self) -> int:
        """A write to a pipe with no reader: SIGPIPE to the writer, taken before write returns
        (by default it terminates, WTERMSIG 13); when it does not kill, write fails with EPIPE."""
        self.send(self.pid, SIGPIPE)
        return self.fail(EPIPE)

    def file_write(self, fd: int, index: int, d: Ofd, data: str) -> int:
        """Write at the description's offset, or at end of file with O_APPEND (both atomic);
        bytes that another description wrote and this write replaces are a lost write."""
        f = self.files[d.target]
        at = len(f.data) if d.flags & O_APPEND else d.offset
        body, owners = f.data, f.owners
        if at > len(body):
            body, owners = body + "\0" * (at - len(body)), owners + (-1,) * (at - len(body))
        end = at + len(data)
        lost = "".join(body[i] for i in range(at, min(end, len(body))) if owners[i] not in (-1, index))
        self.files[d.target] = File(f.name, body[:at] + data + body[end:], owners[:at] + (index,) * len(data) + owners[end:])
        self.ofds[index] = d._replace(offset=end)
        self.events.append(Event("file_write", self.pid, fd=fd, data=data, text=f.name))
        if lost:
            self.events.append(Event("lost_write", self.pid, fd=fd, data=data, old=lost, text=f.name))
        return len(data)

    # ------------------------------------------------------------ system calls

    def _b_read(self, ins, choice, preview=False):
        """read(2) into a char array: a file from the shared offset, a pipe from its front
        (0 at EOF: no writer left), stdin is /dev/null."""
        fd, addr, n, size = (self.eval(a) for a in ins.args)
        old = self.load(addr)
        if not isinstance(old, str):
            raise ModelError("read() needs a char array to read into")
        if n < 0 or n > size:
            raise ModelError(f"read of {n} bytes into a {size}-byte buffer")
        e = self.lookup(fd)
        if e is None or e[1].flags & O_ACCMODE == O_WRONLY:
            return self.fail(EBADF)
        index, d = e
        if d.kind == "stdin":
            data = ""
        elif d.kind == "pipe":
            buf = self.pipes[d.target]
            if n and not buf and self.pipe_ends(d.target)[1] and d.flags & O_NONBLOCK:
                return self.fail(EAGAIN)
            data, self.pipes[d.target] = buf[:n], buf[n:]
        elif d.kind == "file":
            data = self.files[d.target].data[d.offset : d.offset + n]
            self.ofds[index] = d._replace(offset=d.offset + len(data))
        else:
            raise ModelError("reading the standard output or error is not modelled")
        new = data + old[len(data):]
        self.store(addr, new + "\0" * (size - 1 - len(new)))  # the array's untouched bytes, as the model keeps them
        self.events.append(Event("read", self.pid, fd=fd, data=data))
        return len(data)

    def _b_open(self, ins, choice, preview=False):
        """open(2) of a file in the working directory: O_RDONLY/O_WRONLY/O_RDWR with
        O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_NONBLOCK, O_CLOEXEC; a new open file description."""
        path, flags = self.eval(ins.args[0]), self.eval(ins.args[1])
        if not isinstance(path, str):
            raise ModelError("open() needs a file name")
        name = path.split("\0", 1)[0]
        name = name[2:] if name.startswith("./") else name
        if not name or "/" in name:
            raise ModelError(f"open of {path!r}: only files in the working directory (no '/') are modelled")
        if flags & ~OPEN_FLAGS or flags & O_ACCMODE == 3:
            raise ModelError(f"open flags {flags:#o}; supported: O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL, "
                             "O_TRUNC, O_APPEND, O_NONBLOCK, O_CLOEXEC")
        fd = self.free_fd()
        if fd >= MAX_FDS:
            return self.fail(EMFILE)
        f = self.files.get(name)
        if f is None:
            if not flags & O_CREAT:
                return self.fail(ENOENT)
            f = self.files[name] = File(name, "", ())
        elif flags & O_CREAT and flags & O_EXCL:
            return self.fail(EEXIST)
        if flags & O_TRUNC and flags & O_ACCMODE != O_RDONLY:
            self.files[name] = File(name, "", ())
        index = self.new_ofd(Ofd("file", name, flags & (O_ACCMODE | STATUS_FLAGS)))
        self.events.append(Event("open", self.pid, fd=fd, text=name))
        return self.install(fd, index, 1 if flags & O_CLOEXEC else 0)

    def _b_close(self, ins, choice, preview=False):
        """close(2): this process's fd only; the description lives on while others refer to it."""
        fd = self.eval(ins.args[0])
        if self.lookup(fd) is None:
            return self.fail(EBADF)
        self.close_fd(fd)
        self.events.append(Event("close", self.pid, fd=fd))
        return 0

    def _b_pipe(self, ins, choice, preview=False):
        """pipe(2): fds[0] the read end, fds[1] the write end, the two lowest free fds."""
        return self.make_pipe(self.eval(ins.args[0]), 0)

    def _b_pipe2(self, ins, choice, preview=False):
        flags = self.eval(ins.args[1])
        if flags & ~(O_CLOEXEC | O_NONBLOCK):
            return self.fail(EINVAL)
        return self.make_pipe(self.eval(ins.args[0]), flags)

    def make_pipe(self, addr, flags: int) -> int:
        self.pipes.append("")
        p = len(self.pipes) - 1
        cloexec = 1 if flags & O_CLOEXEC else 0
        r = self.install(self.free_fd(), self.new_ofd(Ofd("pipe", p, O_RDONLY | (flags & O_NONBLOCK))), cloexec)
        w = self.install(self.free_fd(), self.new_ofd(Ofd("pipe", p, O_WRONLY | (flags & O_NONBLOCK))), cloexec)
        self.store(addr, r)
        self.store(addr + ir.CELL, w)
        return 0

    def _b_dup(self, ins, choice, preview=False):
        """dup(2): the lowest free fd, on the same open file description, FD_CLOEXEC clear."""
        e = self.lookup(self.eval(ins.args[0]))
        if e is None:
            return self.fail(EBADF)
        return self.install(self.free_fd(), e[0])

    def _b_dup2(self, ins, choice, preview=False):
        """dup2(2): `new` is closed first (silently) and then refers to `old`'s description."""
        old, new = self.eval(ins.args[0]), self.eval(ins.args[1])
        e = self.lookup(old)
        if e is None or not 0 <= new < MAX_FDS:
            return self.fail(EBADF)
        if old == new:
            return new
        if new in self.fds:
            self.close_fd(new)
        self.events.append(Event("dup2", self.pid, fd=new, old=old))
        return self.install(new, e[0])

    def _b_lseek(self, ins, choice, preview=False):
        """lseek(2) moves the description's offset: every fd sharing it sees the move."""
        fd, off, whence = (self.eval(a) for a in ins.args)
        e = self.lookup(fd)
        if e is None:
            return self.fail(EBADF)
        index, d = e
        if d.kind == "pipe":
            return self.fail(ESPIPE)
        if d.kind != "file":
            raise ModelError("lseek on the standard files is not modelled")
        if whence not in (SEEK_SET, SEEK_CUR, SEEK_END):
            return self.fail(EINVAL)
        base = (0, d.offset, len(self.files[d.target].data))[whence]
        if base + off < 0:
            return self.fail(EINVAL)
        self.ofds[index] = d._replace(offset=base + off)
        return base + off

    def _b_fcntl(self, ins, choice, preview=False):
        """fcntl(2): F_GETFD/F_SETFD (the fd's own FD_CLOEXEC), F_GETFL/F_SETFL (the shared
        description's O_APPEND/O_NONBLOCK), F_DUPFD, and record locks F_GETLK/F_SETLK/F_SETLKW."""
        fd, cmd = self.eval(ins.args[0]), self.eval(ins.args[1])
        arg = self.eval(ins.args[2]) if len(ins.args) > 2 else 0
        e = self.lookup(fd)
        if e is None:
            return self.fail(EBADF)
        index, d = e
        if cmd == F_GETFD:
            return self.fds[fd][1]
        if cmd == F_SETFD:
            self.fds[fd] = (index, arg & FD_CLOEXEC)
            self.fds_dirty = True
            return 0
        if cmd == F_GETFL:
            return d.flags | (O_LARGEFILE if d.kind == "file" else 0)
        if cmd == F_SETFL:
            self.ofds[index] = d._replace(flags=(d.flags & O_ACCMODE) | (arg & STATUS_FLAGS))
            return 0
        if cmd in (F_DUPFD, F_DUPFD_CLOEXEC):
            if not 0 <= arg < MAX_FDS:
                return self.fail(EINVAL)
            return self.install(self.free_fd(arg), index, 1 if cmd == F_DUPFD_CLOEXEC else 0)
        if cmd in (F_GETLK, F_SETLK, F_SETLKW):
            return self.record_lock(fd, cmd, arg)
        raise ModelError(f"fcntl command {cmd}; supported: F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_SETFD, F_GETFL, "
                         "F_SETFL, F_GETLK, F_SETLK, F_SETLKW")

    # ------------------------------------------------------------ record locks

    def lock_request(self, fd, addr):
        """The lock a struct flock at `addr` asks for on `fd`: (file, pid, type, start, end), or an errno."""
        e = self.lookup(fd)
        if e is None:
            return EBADF
        d = e[1]
        if d.kind != "file":
            raise ModelError("record locks are modelled on named files only")
        typ, whence, start, length = (self.load(addr + ir.CELL * i) for i in range(4))  # ctypes.FLOCK_FIELDS' cells
        if typ not in (F_RDLCK, F_WRLCK, F_UNLCK) or whence not in (SEEK_SET, SEEK_CUR, SEEK_END):
            return EINVAL
        if length < 0:
            raise ModelError("a record lock with a negative l_len is not modelled")
        start += (0, d.offset, len(self.files[d.target].data))[whence]
        if start < 0:
            return EINVAL
        return (d.target, self.pid, typ, start, start + length if length else -1)

    def record_conflict(self, req: tuple):
        name, pid, typ, s, e = req
        for lk in self.locks:
            if lk[0] == name and lk[1] != pid and overlaps(s, e, lk[3], lk[4]) and F_WRLCK in (typ, lk[2]):
                return lk
        return None

    def lock_waits_for(self, pid: int) -> int | None:
        """The owner of the record lock process `pid` waits for in F_SETLKW, if it waits."""
        p = self.procs.get(pid)
        if p is None or p.state != "running" or not p.stack or p.pending or p.vfork_child:
            return None
        probe = type(self)(self.root, self.config, self.state, pid)
        ins = probe.instr()
        if not (isinstance(ins, ir.Builtin) and ins.name == "fcntl" and len(ins.args) > 2
                and probe.eval(ins.args[1]) == F_SETLKW):
            return None
        req = probe.lock_request(probe.eval(ins.args[0]), probe.eval(ins.args[2]))
        lk = probe.record_conflict(req) if isinstance(req, tuple) and req[2] != F_UNLCK else None
        return None if lk is None else lk[1]

    def would_deadlock(self, req: tuple) -> bool:
        """Linux's posix_locks_deadlock: F_SETLKW fails with EDEADLK when the lock's owner
        waits (through a chain of waiters) for a lock this process holds."""
        owner, seen = self.record_conflict(req)[1], set()
        while owner is not None and owner not in seen:
            if owner == self.pid:
                return True
            seen.add(owner)
            owner = self.lock_waits_for(owner)
        return False

    def record_lock(self, fd: int, cmd: int, addr) -> int:
        req = self.lock_request(fd, addr)
        if not isinstance(req, tuple):
            return self.fail(req)
        name, pid, typ, s, e = req
        if cmd == F_GETLK:
            if typ == F_UNLCK:
                return self.fail(EINVAL)
            lk = self.record_conflict(req)
            if lk is None:
                self.store(addr, F_UNLCK)
            else:
                for i, v in enumerate((lk[2], SEEK_SET, lk[3], 0 if lk[4] < 0 else lk[4] - lk[3], lk[1])):
                    self.store(addr + ir.CELL * i, v)
            return 0
        access = self.lookup(fd)[1].flags & O_ACCMODE
        if (typ == F_RDLCK and access == O_WRONLY) or (typ == F_WRLCK and access == O_RDONLY):
            return self.fail(EBADF)
        if typ != F_UNLCK and self.record_conflict(req) is not None:
            # F_SETLKW waits instead (fd_call_ready holds it back) unless waiting would close a cycle
            return self.fail(EDEADLK if cmd == F_SETLKW else EAGAIN)
        kept = []
        for lk in self.locks:
            kept.extend(subtract(lk, s, e) if lk[0] == name and lk[1] == pid else [lk])
        if typ != F_UNLCK:
            kept.append(req)
        self.locks = kept
        self.events.append(Event("lock", self.pid, fd=fd, text=("F_RDLCK", "F_WRLCK", "F_UNLCK")[typ]))
        return 0

    # ------------------------------------------------------------ flock

    def flock_conflict(self, index: int, d: Ofd, want: int) -> bool:
        for i, other in enumerate(self.ofds):
            if (i != index and other is not None and other.kind == "file" and other.target == d.target
                    and other.flock and LOCK_EX in (want, other.flock)):
                return True
        return False

    def _b_flock(self, ins, choice, preview=False):
        """flock(2): the lock belongs to the open file description, so a fork child shares it,
        and a second open() of the file is a different holder."""
        fd, op = self.eval(ins.args[0]), self.eval(ins.args[1])
        e = self.lookup(fd)
        if e is None:
            return self.fail(EBADF)
        index, d = e
        if d.kind != "file":
            raise ModelError("flock is modelled on named files only")
        kind = op & ~LOCK_NB
        if kind == LOCK_UN:
            self.ofds[index] = d._replace(flock=0)
            return 0
        if kind not in (LOCK_SH, LOCK_EX):
            return self.fail(EINVAL)
        if self.flock_conflict(index, d, kind):
            # Converting a lock drops the old one first (flock(2): not atomic), so a failed or
            # waiting conversion holds nothing. A blocking flock then waits (fd_call_ready).
            self.ofds[index] = d._replace(flock=0)
            if op & LOCK_NB:
                return self.fail(EAGAIN)
            raise CallWaits
        self.ofds[index] = d._replace(flock=kind)
        self.events.append(Event("lock", self.pid, fd=fd, text="LOCK_EX" if kind == LOCK_EX else "LOCK_SH"))
        return 0
