"""What a vfork child may do: call _exit or exec, and store vfork's result. Nothing else.

A vfork child runs in its parent's memory, on its parent's stack, while the parent is
suspended (vfork(2); POSIX Issue 6 calls anything else undefined). The model runs such
a child as Linux does (its writes are the parent's, exit() flushes the parent's stdio
buffers), and every step beyond the allowed ones carries a `vfork_unsafe` event, which
the `vfork-safety` property flags.

Returning from the function that called vfork is the one step the model does not run:
Linux tears down the frame the parent resumes into, and what the parent then sees is
unbounded (reference puzzle P5). The child stops there, marked `undefined`; its parent
stays suspended, so the branch ends in a stuck state and yields no outcome.
"""
from __future__ import annotations

from forkspec import ir
from forkspec.kernel.events import Event

ALLOWED_CALLS = frozenset({"_exit", "_Exit", "execl", "execlp", "execle", "execv", "execvp", "execve"})
UNDEFINED = "undefined"


def _uses_temp(e, index: int) -> bool:
    if isinstance(e, ir.Temp):
        return e.index == index
    return any(_uses_temp(getattr(e, f), index) for f in ("operand", "left", "right") if hasattr(e, f))


def stores_vfork_result_at(body, pc: int) -> bool:
    """Does the store at `body[pc]` store the result of a vfork call just before it (through
    the temporaries between them)? The frame must be the one that called vfork."""
    ins, at = body[pc], pc - 1
    if not isinstance(ins, ir.Store):
        return False
    while at >= 0 and isinstance(body[at], ir.SetTemp):
        at -= 1
    call = body[at] if at >= 0 else None
    if not (isinstance(call, ir.Builtin) and call.name == "vfork" and call.dst is not None):
        return False
    carried = {call.dst}
    for between in body[at + 1 : pc]:
        if any(_uses_temp(between.value, t) for t in carried):
            carried.add(between.dst)
    return any(_uses_temp(ins.value, t) for t in carried)


class VforkRules:
    """Checks mixed into `Exec`, run before each instruction of a vfork child."""

    def vfork_check(self, ins) -> bool:
        """Flag an unsafe step; True when the step is undefined and must not run."""
        why = self.vfork_violation(ins)
        if why is None:
            return False
        self.events.append(Event("vfork_unsafe", self.pid, line=ins.loc.line, text=f"vfork child {why}"))
        if isinstance(ins, ir.Return) and len(self.stack_rest) <= self.p.vfork_depth:
            self.p = self.p._replace(main_state=UNDEFINED)
            self.halted = True
            return True
        return False

    def vfork_violation(self, ins) -> str | None:
        if isinstance(ins, ir.Builtin):
            if ins.name.startswith("__"):  # libc's own steps inside exit(), already flagged at the call
                return None
            return None if ins.name in ALLOWED_CALLS else f"calls {ins.name.lstrip('_') or ins.name}()"
        if isinstance(ins, ir.Call):
            if ins.func == self.program.exit_routine:
                return "calls exit(), which runs the parent's atexit handlers and flushes the parent's stdio buffers"
            target = self.program.functions[ins.func].name + "()" if isinstance(ins.func, int) else "a function"
            return f"calls {target}"
        if isinstance(ins, ir.Return):
            if len(self.stack_rest) <= self.p.vfork_depth:
                return ("returns from the function that called vfork (undefined: the parent resumes in the frame "
                        "the child tore down; the model stops this branch)")
            return None
        if isinstance(ins, (ir.Store, ir.StoreChar)):
            return None if self.stores_vfork_result(ins) else f"modifies memory the parent shares: `{ins.loc.text}`"
        return None

    def stores_vfork_result(self, ins) -> bool:
        """Is this the store of vfork's return value right after the call (`pid = vfork()`,
        perhaps through the temporaries of `(pid = vfork()) == 0`)?"""
        if not isinstance(ins, ir.Store) or len(self.stack_rest) != self.p.vfork_depth:
            return False
        return stores_vfork_result_at(self.func.body, self.pc)

    def vfork_release_for_exec(self) -> None:
        """The hook for exec in a vfork child: call it before installing the new image.

        exec gives the borrowed memory back as _exit does (mm_release): the parent resumes
        now, with the stdio buffers and atexit list the child left in the shared memory,
        and the child goes on in an image of its own, no longer a vfork child."""
        if self.p.vfork_parent:
            self.release_vfork_parent()
            self.p = self.p._replace(vfork_depth=0)
