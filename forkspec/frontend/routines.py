"""libc sequences that call back into the program, written directly in IR.

Like exit(), they are ordinary code to the kernel, so the functions they call run
step by step and may block, fork or print as the program's own functions do:

* `__thread_start(fn, arg)`: a new thread's first frame; it calls fn(arg), then
  pthread_exit with the result (glibc's start_thread);
* `__fork_atfork`: fork() when pthread_atfork handlers are registered: the prepare
  handlers newest first, the fork, then the parent's or the child's handlers oldest
  first, in the thread that called fork (glibc's __libc_fork).
"""
from __future__ import annotations

from forkspec import ir

THREAD_START = "__thread_start"
FORK_ATFORK = "__fork_atfork"


def thread_start() -> ir.Function:
    from forkspec.frontend.lower import liveness

    loc = ir.Loc(0, 0, "thread start")
    body = (
        ir.Call(0, ir.Cell("local", 0), (ir.Cell("local", 1),), loc),   # 0: result = fn(arg)
        ir.Builtin(None, "pthread_exit", (ir.Temp(0),), loc),          # 1
    )
    return ir.Function(THREAD_START, (0, 1), (None, None), 2, 1, body, liveness(body, 1), loc)


def fork_atfork() -> ir.Function:
    """Local cell 0 counts the handlers already run in the current phase."""
    from forkspec.frontend.lower import liveness

    loc = ir.Loc(0, 0, "fork")
    body = (
        ir.Builtin(0, "__atfork_next", (ir.Const("prepare"),), loc),   # 0: next prepare handler, or 0
        ir.Branch(ir.Temp(0), 2, 4, loc),                              # 1
        ir.Call(None, ir.Temp(0), (), loc),                            # 2
        ir.Jump(0, loc),                                               # 3
        ir.Builtin(1, "fork", (), loc),                                # 4: the fork itself
        ir.Builtin(0, "__atfork_next", (ir.Temp(1),), loc),            # 5: next parent/child handler, or 0
        ir.Branch(ir.Temp(0), 7, 9, loc),                              # 6
        ir.Call(None, ir.Temp(0), (), loc),                            # 7
        ir.Jump(5, loc),                                               # 8
        ir.Return(ir.Temp(1), loc),                                    # 9
    )
    return ir.Function(FORK_ATFORK, (), (), 1, 2, body, liveness(body, 2), loc)


ROUTINES = (thread_start, fork_atfork)
