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
    tag: str = ""  # a library struct laid out as an array of cells (struct flock, struct sigaction)

    @property
    def size(self) -> int:
        """sizeof, as on x86-64 Linux."""
        if self.kind == "int":
            return self.bits // 8
        if self.kind == "array":
            return self.length * (self.elem.size if self.elem else 4)
        if self.tag == "flock":
            return 32
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


FLOCK = CType("array", 64, True, LONG, 5, tag="flock")  # l_type, l_whence, l_start, l_len, l_pid
FLOCK_FIELDS = ("l_type", "l_whence", "l_start", "l_len", "l_pid")
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
    # <fcntl.h>, <sys/file.h>, <unistd.h>, more of <errno.h>
    "O_RDONLY": 0, "O_WRONLY": 1, "O_RDWR": 2, "O_ACCMODE": 3, "O_CREAT": 0x40, "O_EXCL": 0x80,
    "O_TRUNC": 0x200, "O_APPEND": 0x400, "O_NONBLOCK": 0x800, "O_CLOEXEC": 0x80000,
    "F_DUPFD": 0, "F_GETFD": 1, "F_SETFD": 2, "F_GETFL": 3, "F_SETFL": 4, "F_GETLK": 5, "F_SETLK": 6,
    "F_SETLKW": 7, "F_DUPFD_CLOEXEC": 1030, "FD_CLOEXEC": 1, "F_RDLCK": 0, "F_WRLCK": 1, "F_UNLCK": 2,
    "LOCK_SH": 1, "LOCK_EX": 2, "LOCK_NB": 4, "LOCK_UN": 8, "SEEK_SET": 0, "SEEK_CUR": 1, "SEEK_END": 2,
    "E2BIG": 7, "ENOEXEC": 8, "ENOTDIR": 20, "EISDIR": 21, "EMFILE": 24, "ESPIPE": 29, "EDEADLK": 35,
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
    "read": (3, 3), "open": (2, 3), "close": (1, 1), "dup": (1, 1), "dup2": (2, 2), "pipe": (1, 1),
    "pipe2": (2, 2), "lseek": (3, 3), "fcntl": (2, 3), "flock": (2, 2),
    "execl": (2, 99), "execlp": (2, 99), "execv": (2, 2), "execvp": (2, 2), "execve": (3, 3),
    # signals, process groups, prctl (kernel/signals.py)
    "kill": (2, 2), "raise": (1, 1), "signal": (2, 2), "sigaction": (3, 3), "sigprocmask": (3, 3),
    "sigemptyset": (1, 1), "sigfillset": (1, 1), "sigaddset": (2, 2), "sigdelset": (2, 2),
    "sigismember": (2, 2), "sigpending": (1, 1), "setpgid": (2, 2), "getpgid": (1, 1), "setsid": (0, 0),
    "prctl": (2, 5), "alarm": (1, 1),
}

# Builtins whose argument at this index is a buffer they fill: the char array's address is passed.
OUT_BUFFER_ARGS: dict[str, int] = {"read": 1}

# Header macros written like calls; they lower to pure expressions.
STATUS_MACROS = (
    "WIFEXITED", "WEXITSTATUS", "WIFSIGNALED", "WTERMSIG", "WIFSTOPPED", "WSTOPSIG",
    "WIFCONTINUED", "WCOREDUMP",
)
PURE_FUNCTIONS = ("strlen", "abs", "labs", "strcmp")

SUPPORTED_CALLS = sorted(set(BUILTINS) | set(STATUS_MACROS) | set(PURE_FUNCTIONS))

# Memory and threads: <stdlib.h> allocation, munmap/madvise, <pthread.h>.
CONSTANTS.update({
    "PTHREAD_MUTEX_INITIALIZER": 0, "EBUSY": 16, "EDEADLK": 35,
    "MADV_NORMAL": 0, "MADV_DONTFORK": 10, "MADV_DOFORK": 11, "MADV_WIPEONFORK": 18, "MADV_KEEPONFORK": 19,
})
BUILTINS.update({
    "malloc": (1, 1), "calloc": (2, 2), "free": (1, 1), "munmap": (2, 2), "madvise": (3, 3),
    "pthread_create": (4, 4), "pthread_join": (2, 2), "pthread_exit": (1, 1), "pthread_self": (0, 0),
    "pthread_equal": (2, 2), "pthread_mutex_init": (2, 2), "pthread_mutex_destroy": (1, 1),
    "pthread_mutex_lock": (1, 1), "pthread_mutex_trylock": (1, 1), "pthread_mutex_unlock": (1, 1),
    "pthread_atfork": (3, 3),
})
SUPPORTED_CALLS = sorted(set(BUILTINS) | set(STATUS_MACROS) | set(PURE_FUNCTIONS))

# Calls whose result is not an int.
RETURN_TYPES: dict[str, CType] = {
    "mmap": ptr(INT), "malloc": ptr(INT), "calloc": ptr(INT), "pthread_self": ULONG, "signal": FUNC,
}
