"""fcntl record locks over Z3 terms: the rules of `kernel/files.py` (lock_request,
record_conflict, would_deadlock, record_lock), transcribed.

A record lock belongs to a (process, file) pair: slot s holds up to `FdShape.locks`
locks on named file f, entry i being `("rl", s, f, i, field)` with the fields `on`,
`ty` (F_RDLCK or F_WRLCK), `st` and `en` (the end, -1: to the end of the file). fork
copies none of them (a new slot's are empty); closing any fd of the file, dup2 onto
such an fd, and exit release the owner's locks on it. F_GETLK reports the conflicting
lock the kernel finds first (its lock list is sorted by owner, type, start and end).
F_SETLKW waits (its step is disabled) while a lock conflicts, unless waiting would close
a cycle of waiters, which fails with EDEADLK: whether another slot waits, and for whom,
is read from its location (an fcntl F_SETLKW) and its struct flock, as the kernel's
probe reads it.

Beyond the encoding (a path there sets `oob`): a lock that would split one of the
process's own locks in two, more locks than the shape holds, a lock on something that
is not a named file, a negative l_len.
"""
from __future__ import annotations

import z3

from forkspec import ir
from forkspec.engines.symbolic.expr import bv, is_sym
from forkspec.engines.symbolic.program import NotEncoded
from forkspec.kernel.files import (EBADF, EDEADLK, EAGAIN, EINVAL, F_GETLK, F_RDLCK, F_SETLK, F_SETLKW, F_UNLCK,
                                   F_WRLCK, O_ACCMODE, O_RDONLY, O_WRONLY, SEEK_CUR, SEEK_END, SEEK_SET)

FIELDS = ("on", "ty", "st", "en")
MAX_LOCKS = 4  # locks one slot holds on one file, at most


def lock_sites(program: ir.Program) -> int:
    """fcntl calls that may set a record lock (a constant F_SETLK/F_SETLKW, or a command not known)."""
    n = 0
    for fn in program.functions:
        for ins in fn.body:
            if isinstance(ins, ir.Builtin) and ins.name == "fcntl" and len(ins.args) > 1:
                cmd = ins.args[1]
                if not (isinstance(cmd, ir.Const) and isinstance(cmd.value, int)) or cmd.value in (F_SETLK, F_SETLKW):
                    n += 1
    return n


def uses_locks(program: ir.Program) -> bool:
    return any(isinstance(ins, ir.Builtin) and ins.name == "fcntl" and len(ins.args) > 1
               and not (isinstance(ins.args[1], ir.Const) and ins.args[1].value not in (F_GETLK, F_SETLK, F_SETLKW))
               for fn in program.functions for ins in fn.body)


def _overlaps(s1, e1, s2, e2):
    """kernel: overlaps (an end of -1 is the end of the file)."""
    return z3.And(z3.Or(e2 < 0, s1 < e2), z3.Or(e1 < 0, s2 < e1))


def _less(a: tuple, b: tuple):
    """Lexicographic a < b over terms (the kernel's sorted lock list)."""
    out = z3.BoolVal(False)
    for x, y in reversed(list(zip(a, b))):
        out = z3.Or(x < y, z3.And(x == y, out))
    return out


class Request:
    """A struct flock read for slot s: its fields, or the errno lock_request returns."""

    def __init__(self, step, p, s: int, fd, addr, line):
        self.valid = z3.BoolVal(True)
        index = step.fd_entry(p, s, fd)
        self.index, self.closed = index, index < 0
        if is_sym(addr) or not isinstance(addr, int):
            raise NotEncoded("a struct flock that is not a variable of known address", line)
        ctx = step.ctx(p, s, line).ctx
        cells = [ctx.address_key(addr + ir.CELL * i) for i in range(5)]
        self.cells = cells
        typ, whence, start, length = (_v(ctx.load(k)) for k in cells[:4])
        self.typ = typ
        self.is_file = step.ofd(p, "kind", index) == 3
        self.file = step.ofd(p, "tgt", index)
        self.bad = z3.Or(z3.And(typ != F_RDLCK, typ != F_WRLCK, typ != F_UNLCK),
                         z3.And(whence != SEEK_SET, whence != SEEK_CUR, whence != SEEK_END))
        self.negative = length < 0
        base = z3.If(whence == SEEK_CUR, step.ofd(p, "off", index),
                     z3.If(whence == SEEK_END, step.file_field(p, "len", self.file), bv(0)))
        self.start = start + z3.If(whence == SEEK_SET, bv(0), base)
        self.before = self.start < 0
        self.end = z3.If(length == 0, bv(-1), self.start + length)
        # the request is a lock the kernel would look up (an errno or a refusal otherwise)
        self.ok = z3.And(z3.Not(self.closed), self.is_file, z3.Not(self.bad), z3.Not(self.negative),
                         z3.Not(self.before))


def _v(x):
    return bv(x) if isinstance(x, int) else x


class LockSteps:
    """fcntl's record-lock commands, mixed into `block.Step` through `FdSteps.b_fcntl`."""

    def lock_entry(self, p, s: int, f: int, i: int, field: str):
        return self.get(p, ("rl", s, f, i, field))

    def conflicts(self, p, s: int, req: Request, who=None) -> list:
        """[(condition, (slot, type, start, end))] for every lock of another slot that conflicts."""
        out = []
        for c in range(self.enc.slots):
            if c == s:
                continue
            for f in range(len(self.shape.files)):
                for i in range(self.shape.locks):
                    on, ty, st, en = (self.lock_entry(p, c, f, i, x) for x in FIELDS)
                    hit = z3.And(on == 1, req.file == f, _overlaps(req.start, req.end, st, en),
                                 z3.Or(req.typ == F_WRLCK, ty == F_WRLCK))
                    out.append((hit, (bv(c), ty, st, en)))
        return out

    @staticmethod
    def first_owner(hits: list):
        """The slot of the conflicting lock the kernel finds first (slots in pid order), or -1."""
        owner = bv(-1)
        for h, key in reversed(hits):
            owner = z3.If(h, key[0], owner)
        return owner

    def first_conflict(self, hits: list):
        """The conflicting lock the kernel's sorted list gives first: (any, its fields)."""
        any_hit = z3.Or([h for h, _ in hits]) if hits else z3.BoolVal(False)
        fields = tuple(bv(0) for _ in range(4))
        for j, (h, key) in enumerate(hits):
            # another conflicting lock comes before it: smaller, or equal and earlier in the list
            first = z3.And(h, *[z3.Not(z3.And(g, z3.Not(_less(key, other)) if k < j else _less(other, key)))
                                for k, (g, other) in enumerate(hits) if k != j])
            fields = tuple(z3.If(first, a, b) for a, b in zip(key, fields))
        return any_hit, fields

    def waits_for(self, p, c: int):
        """The slot slot c waits for in an F_SETLKW, -1 if it does not wait (kernel: lock_waits_for)."""
        from forkspec.engines.symbolic.block import RUNNING

        out = bv(-1)
        for key in self.lay.locations:
            ins = self.lay.instr(key)
            if not (isinstance(ins, ir.Builtin) and ins.name == "fcntl" and len(ins.args) > 2):
                continue
            probe = type(p)(key)
            probe.view = p.view  # read slot c's state as the path sees it (nothing is written)
            ev = self.ctx(probe, c, ins.loc)
            cmd = ev.eval(ins.args[1])
            if not is_sym(cmd) and cmd != F_SETLKW:
                continue
            here = z3.And(self.get(p, self.loc_name(c)) == self.lay.id(key), self.get(p, ("st", c)) == RUNNING,
                          _v(cmd) == F_SETLKW)
            if self.enc.exact:  # a process with write(2)s pending is not waiting at the call yet
                here = z3.And(here, self.get(p, ("np", c)) == 0)
            req = Request(self, probe, c, ev.eval(ins.args[0]), ev.eval(ins.args[2]), ins.loc)
            hits = self.conflicts(probe, c, req)
            waiting = z3.And(here, req.ok, req.typ != F_UNLCK, z3.Or([h for h, _ in hits]) if hits else False)
            out = z3.If(waiting, self.first_owner(hits), out)
        return out

    def would_deadlock(self, p, s: int, owner):
        """kernel: would_deadlock: following who waits for whom from the lock's owner reaches s."""
        waits = [self.waits_for(p, c) for c in range(self.enc.slots)]
        cur, found = owner, z3.BoolVal(False)
        for _ in range(self.enc.slots):
            found = z3.Or(found, cur == s)
            nxt = bv(-1)
            for c in range(self.enc.slots):
                nxt = z3.If(cur == c, waits[c], nxt)
            cur = nxt
        return found

    def setlkw_ready(self, p, s: int, ins, ev):
        """kernel: fd_call_ready for F_SETLKW: it waits while a lock conflicts, unless that closes a cycle."""
        req = Request(self, p, s, ev.eval(ins.args[0]), ev.eval(ins.args[2]), ins.loc)
        hits = self.conflicts(p, s, req)
        any_hit = z3.Or([h for h, _ in hits]) if hits else z3.BoolVal(False)
        deadlock = self.would_deadlock(p, s, self.first_owner(hits))
        return z3.Or(z3.Not(req.ok), req.typ == F_UNLCK, z3.Not(any_hit), deadlock)

    def record_lock(self, p, s: int, ins, ev, cmd: int) -> list:
        """kernel: FdCalls.record_lock, with fd_call_ready's wait for F_SETLKW."""
        fd, addr = ev.eval(ins.args[0]), ev.eval(ins.args[2])
        req = Request(self, p, s, fd, addr, ins.loc)
        hits = self.conflicts(p, s, req)
        any_hit, fields = self.first_conflict(hits) if cmd == F_GETLK else (z3.Or([h for h, _ in hits]), None)
        deadlock = self.would_deadlock(p, s, self.first_owner(hits)) if cmd == F_SETLKW else z3.BoolVal(False)
        if cmd == F_SETLKW:  # waits while a lock conflicts, unless that closes a cycle
            p.guard.append(self.setlkw_ready(p, s, ins, ev))
        # lock_request's errnos and the model's refusals, in the kernel's order
        checks = [(req.closed, EBADF), (z3.Not(req.is_file), "a record lock on something that is not a named file"),
                  (req.bad, EINVAL), (req.negative, "a record lock with a negative l_len"), (req.before, EINVAL)]
        out, rest = [], [p]
        for cond, outcome in checks:
            kept = []
            for q in rest:
                for r, hit in self.cases(q, cond):
                    if not hit:
                        kept.append(r)
                    elif isinstance(outcome, str):
                        self.beyond(r, s, outcome)
                        out.append((r, None))
                    else:
                        out.append((r, self.fail_with(r, s, outcome)))
            rest = kept
        for q in rest:
            out.extend(self.lock_command(q, s, req, cmd, any_hit, fields, deadlock))
        return out

    def lock_command(self, p, s: int, req: Request, cmd: int, any_hit, fields, deadlock) -> list:
        if cmd == F_GETLK:
            out = []
            for q, unlock in self.cases(p, req.typ == F_UNLCK):
                if unlock:
                    out.append((q, self.fail_with(q, s, EINVAL)))
                    continue
                c, ty, st, en = fields
                for r, hit in self.cases(q, any_hit):
                    if not hit:
                        self.store(r, s, req.cells[0], F_UNLCK)
                    else:
                        values = (ty, bv(SEEK_SET), st, z3.If(en < 0, bv(0), en - st), c + self.pid(0))
                        for key, v in zip(req.cells, values):
                            self.store(r, s, key, v)
                    out.append((r, 0))
            return out
        access = self.ofd(p, "fl", req.index) & O_ACCMODE
        wrong = z3.Or(z3.And(req.typ == F_RDLCK, access == O_WRONLY), z3.And(req.typ == F_WRLCK, access == O_RDONLY))
        out = []
        for q, bad in self.cases(p, wrong):
            if bad:
                out.append((q, self.fail_with(q, s, EBADF)))
                continue
            for r, refused in self.cases(q, z3.And(req.typ != F_UNLCK, any_hit)):
                if refused:  # F_SETLKW gets here only when waiting would deadlock
                    out.append((r, self.fail_with(r, s, EDEADLK if cmd == F_SETLKW else EAGAIN)))
                    continue
                self.set_lock(r, s, req)
                out.append((r, 0))
        return out

    def set_lock(self, p, s: int, req: Request) -> None:
        """The owner's locks on the file lose the range, then the new lock joins them (kernel:
        `subtract`, then append); a lock the range would cut in two is beyond the encoding."""
        n = self.shape.locks
        for f in range(len(self.shape.files)):
            mine = req.file == f
            for i in range(n):
                on, ty, st, en = (self.lock_entry(p, s, f, i, x) for x in FIELDS)
                hit = z3.And(mine, on == 1, _overlaps(req.start, req.end, st, en))
                inside = z3.And(st >= req.start, z3.Or(req.end < 0, z3.And(en >= 0, en <= req.end)))
                self.beyond_if(p, z3.And(hit, z3.Not(inside)), "a record lock that a new lock or unlock only partly overlaps")
                self.set(p, ("rl", s, f, i, "on"), z3.If(hit, bv(0), on))
            placed = z3.Or(req.typ == F_UNLCK, z3.Not(mine))
            for i in range(n):
                on = self.lock_entry(p, s, f, i, "on")
                here = z3.And(z3.Not(placed), on == 0)
                for x, v in zip(FIELDS, (bv(1), req.typ, req.start, req.end)):
                    self.set(p, ("rl", s, f, i, x), z3.If(here, v, self.lock_entry(p, s, f, i, x)))
                placed = z3.Or(placed, here)
            self.beyond_if(p, z3.Not(placed), f"more than {n} record locks on one file")

    def release_locks(self, p, s: int, fd=None) -> None:
        """kernel: close_fd (the owner's locks on fd's file go) or, with no fd, close_all_fds."""
        if not self.shape.locks:
            return
        if fd is not None:
            index = self.fd_entry(p, s, fd)
            is_file = z3.And(index >= 0, self.ofd(p, "kind", index) == 3)
            tgt = self.ofd(p, "tgt", index)
        for f in range(len(self.shape.files)):
            gone = z3.BoolVal(True) if fd is None else z3.And(is_file, tgt == f)
            for i in range(self.shape.locks):
                on = self.lock_entry(p, s, f, i, "on")
                self.set(p, ("rl", s, f, i, "on"), z3.If(gone, bv(0), on))
