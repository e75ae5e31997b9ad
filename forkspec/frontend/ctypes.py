"""The few C types the model distinguishes, and the builtin names of the libc headers."""
from __future__ import annotations

from dataclasses import dataclass

from forkspec import ir


@dataclass(frozen=True)
class CType:
    kind: str  # int | ptr | str | array | void | func | stream
    bits: int = 32
    signed: bool = True
    elem: "CType | None" = None
    length: int = 0  # array elements, or char-array bytes (with the NUL)
    tag: str = ""  # a library struct laid out as an array of cells (struct sigaction)

    @property
    def size(self) -> int:
        """sizeof, as on x86-64 Linux."""
        if self.kind == "int":
            return self.bits // 8
        if self.kind == "array":
            return self.length * (self.elem.size if self.elem else 4)
        if self.kind == "str" and self.length:
            return self.length
        return 8

    @property
    def cells(self) -> int:
        return self.length if self.kind == "array" else 1


INT = CType("int", 32, True)
UINT = CType("int", 32, False)
LONG = CType("int", 64, True)
ULONG = CType("int", 64, False)
CHAR = CType("int", 8, True)
UCHAR = CType("int", 8, False)
SHORT = CType("int", 16, True)
VOID = CType("void")
STR = CType("str")
FUNC = CType("func")
STREAM = CType("stream")


# struct sigaction, as cells: its members and their types (sa_sigaction shares sa_handler's cell)
SIGACTION_FIELDS: dict[str, tuple[int, CType]] = {
    "sa_handler": (0, FUNC), "sa_sigaction": (0, FUNC), "sa_mask": (1, ULONG), "sa_flags": (2, INT),
}
SIGACTION = CType("array", 64, True, LONG, 3, tag="sigaction")


def ptr(elem: CType) -> CType:
    return CType("ptr", 64, False, elem)


# Macros and constants of the standard headers (x86-64 Linux values).
CONSTANTS: dict[str, int] = {
    "NULL": 0, "EOF": -1, "true": 1, "false": 0,
    "STDIN_FILENO": 0, "STDOUT_FILENO": 1, "STDERR_FILENO": 2,
    "EXIT_SUCCESS": 0, "EXIT_FAILURE": 1, "BUFSIZ": 8192,
    "_IOFBF": 0, "_IOLBF": 1, "_IONBF": 2,
    "WNOHANG": 1, "WUNTRACED": 2, "WSTOPPED": 2, "WEXITED": 4, "WCONTINUED": 8, "WNOWAIT": 0x1000000,
    "SIGHUP": 1, "SIGINT": 2, "SIGQUIT": 3, "SIGILL": 4, "SIGTRAP": 5, "SIGABRT": 6, "SIGBUS": 7,
    "SIGFPE": 8, "SIGKILL": 9, "SIGUSR1": 10, "SIGSEGV": 11, "SIGUSR2": 12, "SIGPIPE": 13,
    "SIGALRM": 14, "SIGTERM": 15, "SIGCHLD": 17, "SIGCONT": 18, "SIGSTOP": 19, "SIGTSTP": 20,
    "EPERM": 1, "ENOENT": 2, "ESRCH": 3, "EINTR": 4, "EIO": 5, "EBADF": 9, "ECHILD": 10,
    "EAGAIN": 11, "ENOMEM": 12, "EACCES": 13, "EFAULT": 14, "EEXIST": 17, "EINVAL": 22,
    "EPIPE": 32, "EWOULDBLOCK": 11,
    "PROT_NONE": 0, "PROT_READ": 1, "PROT_WRITE": 2, "PROT_EXEC": 4,
    "MAP_SHARED": 1, "MAP_PRIVATE": 2, "MAP_ANONYMOUS": 0x20, "MAP_ANON": 0x20, "MAP_FAILED": -1,
    "SIGSTKFLT": 16, "SIGTTIN": 21, "SIGTTOU": 22, "SIGURG": 23, "SIGXCPU": 24, "SIGXFSZ": 25,
    "SIGVTALRM": 26, "SIGPROF": 27, "SIGWINCH": 28, "SIGIO": 29, "SIGPOLL": 29, "SIGPWR": 30, "SIGSYS": 31,
    "SIGIOT": 6, "NSIG": 65, "_NSIG": 65,
    "SIG_DFL": 0, "SIG_IGN": 1, "SIG_ERR": -1, "SIG_BLOCK": 0, "SIG_UNBLOCK": 1, "SIG_SETMASK": 2,
    "SA_NOCLDSTOP": 1, "SA_NOCLDWAIT": 2, "SA_SIGINFO": 4, "SA_ONSTACK": 0x08000000,
    "SA_RESTART": 0x10000000, "SA_NODEFER": 0x40000000, "SA_RESETHAND": 0x80000000,
    "PR_SET_PDEATHSIG": 1, "PR_GET_PDEATHSIG": 2, "PR_SET_CHILD_SUBREAPER": 36, "PR_GET_CHILD_SUBREAPER": 37,
    "INT_MAX": 2**31 - 1, "INT_MIN": -(2**31), "PIPE_BUF": 4096,
}

STREAMS = {"stdin": 0, "stdout": 1, "stderr": 2}


def stream_value(fd: int) -> int:
    return ir.STREAM_BASE + fd


# libc functions and system calls the kernel implements: name -> (min args, max args).
BUILTINS: dict[str, tuple[int, int]] = {
    "fork": (0, 0), "vfork": (0, 0), "getpid": (0, 0), "getppid": (0, 0), "getpgrp": (0, 0),
    "printf": (1, 99), "fprintf": (2, 99), "puts": (1, 1), "putchar": (1, 1),
    "fputs": (2, 2), "fputc": (2, 2), "putc": (2, 2),
    "write": (3, 3), "fflush": (1, 1), "setvbuf": (4, 4), "setbuf": (2, 2),
    "exit": (1, 1), "_exit": (1, 1), "_Exit": (1, 1), "atexit": (1, 1), "abort": (0, 0),
    "wait": (1, 1), "waitpid": (3, 3), "sleep": (1, 1), "usleep": (1, 1),
    "assert": (1, 1), "perror": (1, 1), "mmap": (6, 6), "pause": (0, 0),
    "sched_yield": (0, 0),
    # signals, process groups, prctl (kernel/signals.py)
    "kill": (2, 2), "raise": (1, 1), "signal": (2, 2), "sigaction": (3, 3), "sigprocmask": (3, 3),
    "sigemptyset": (1, 1), "sigfillset": (1, 1), "sigaddset": (2, 2), "sigdelset": (2, 2),
    "sigismember": (2, 2), "sigpending": (1, 1), "setpgid": (2, 2), "getpgid": (1, 1), "setsid": (0, 0),
    "prctl": (2, 5), "alarm": (1, 1),
}

# Header macros written like calls; they lower to pure expressions.
STATUS_MACROS = (
    "WIFEXITED", "WEXITSTATUS", "WIFSIGNALED", "WTERMSIG", "WIFSTOPPED", "WSTOPSIG",
    "WIFCONTINUED", "WCOREDUMP",
)
PURE_FUNCTIONS = ("strlen", "abs", "labs", "strcmp")

SUPPORTED_CALLS = sorted(set(BUILTINS) | set(STATUS_MACROS) | set(PURE_FUNCTIONS))
