"""Compile a spec with the machine's C compiler and run it on the real Linux kernel.

The result of a run is an :class:`Observation` expressed in the model's conventions,
so that it can be compared with the set of outcomes the model predicts:

* P0, the program's first process, is pid 1000; every process created by ``fork()``
  or ``vfork()`` gets the next pid in creation order (1001, 1002, ...);
* P0's parent, and the adopter of every orphan, is pid 1;
* ``stdout`` is every byte written to fd 1 by P0 and all its descendants (orphans
  that outlive P0 included), in the order the kernel received them;
* ``exit_status`` is what a shell sees for P0: its exit code, or 128 + the signal
  number if a signal killed it.

How a run works:

* the spec is compiled as it is (the ``/*@forkspec ... */`` block is a comment) with
  ``realrun_rt/forkspec_rt.h`` force-included.  That header supplies the includes a
  spec may leave out and redefines ``fork()``/``vfork()`` so that every child pid is
  appended to the file named by ``$FORKSPEC_PIDLOG``;
* a small launcher (``realrun_rt/launcher.c``, compiled once per directory) plays
  pid 1: it is a child subreaper, so orphans are re-parented to it; it forks and
  execs P0, waits for it, then reaps until no descendant is left, and reports P0's
  real pid and wait status in a status file;
* real pids are renamed afterwards: the launcher becomes 1, P0 becomes 1000, and
  the logged children, in allocation order (Linux hands out pids upward, wrapping
  at ``pid_max``), become 1001, 1002, ...  Every maximal run of decimal digits in
  the output that spells one of these real pids is replaced by its model pid
  (digits inside a ``0x`` hexadecimal literal excepted).  Renaming happens after
  the run: a printed pid is as wide as the real one while the program runs, so
  output whose buffering depends on that width (a full buffer's boundary) can be
  split where the model's never is;
* ``getppid()`` returns 1 where the real answer is the launcher (it plays init), so
  a program that compares it with 1 behaves as in the model.

Modes say where fd 1 goes: ``"file"`` (a regular file), ``"pipe"`` (a pipe this
module reads) or ``"tty"`` (the slave side of a pseudo-terminal).  stderr always
goes to a separate regular file, stdin is ``/dev/null``.  On the pty, output
post-processing (``ONLCR``, the ``\\n`` -> ``\\r\\n`` translation) is switched off,
so what is read is byte for byte what the program wrote; if that cannot be done,
``\\r\\n`` is turned back into ``\\n`` instead.

Rare interleavings need help to show up.  A run can be *perturbed*
(:class:`Perturbation`): with a seed, the runtime header pauses each process for a
moment (a yield, or a few microseconds up to a millisecond, drawn from the seed and
the pid) around ``fork`` and before every output, exit and wait call; with a CPU
list, the launcher pins the whole run to those CPUs (one CPU: the processes take
turns; all of them: they run at once).  :func:`perturbation` gives the schedule
:func:`run_many` cycles through, and :func:`background_load` keeps other CPUs busy
meanwhile.  None of this changes what a program may do, only how likely each of
its behaviours is.
"""
from __future__ import annotations

import errno
import hashlib
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .errors import RealRunError, Span

__all__ = [
    "MODES",
    "Observation",
    "Perturbation",
    "background_load",
    "compile_spec",
    "compiler",
    "perturbation",
    "pid_map",
    "rename_pids",
    "run_many",
    "run_once",
]

MODES = ("file", "pipe", "tty")

INIT_PID = 1
P0_PID = 1000

RT_DIR = Path(__file__).resolve().with_name("realrun_rt")
RT_HEADER = RT_DIR / "forkspec_rt.h"
LAUNCHER_SOURCE = RT_DIR / "launcher.c"

PIDLOG_ENV = "FORKSPEC_PIDLOG"
PERTURB_ENV = "FORKSPEC_PERTURB"
CPUS_ENV = "FORKSPEC_CPUS"

CFLAGS = ("-std=gnu11", "-O0", "-w", "-pthread")
COMPILE_TIMEOUT = 120.0
# After a timeout: how long to wait for the killed run to wind down and its output to drain.
KILL_GRACE = 5.0
ERROR_LINES = 8

# A hexadecimal literal (what %p prints) is one token and never renamed; otherwise
# every maximal run of decimal digits is a candidate.
_NUMBER = re.compile(r"0[xX][0-9A-Fa-f]+|[0-9]+")
_GCC_ERROR = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?:(?P<col>\d+):)? (?:fatal )?error: (?P<msg>.*)$")


@dataclass(frozen=True)
class Observation:
    """One real run of a spec, normalised to the model's pid numbering."""

    stdout: str  # pids renamed; on a tty, without the \r\n translation
    stderr: str  # pids renamed
    exit_status: int  # P0's exit code, or 128 + signal (137 if a timeout killed it); -1 if unknown
    processes: int  # processes created, P0 included
    raw_stdout: str  # as captured, before pid renaming
    timed_out: bool
    perturbation: "Perturbation | None" = None  # how the run was perturbed, if it was


@dataclass(frozen=True)
class Perturbation:
    """How one run is shaken: a seed for the runtime's pauses, and the CPUs it may use."""

    seed: int | None = None  # None: the timing hooks stay inert
    cpus: tuple[int, ...] | None = None  # None: every CPU this process may use

    def describe(self) -> str:
        parts = [f"seed {self.seed}" if self.seed is not None else "no pauses"]
        parts.append("all CPUs" if self.cpus is None else "CPU " + ",".join(map(str, self.cpus)))
        return ", ".join(parts)


def _usable_cpus() -> list[int]:
    try:
        return sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return []


def perturbation(index: int, seed: int = 0) -> Perturbation:
    """The perturbation of run ``index`` of a series seeded with ``seed``.

    Runs cycle through every combination: two runs in three pause (each with its own
    seed, which also picks how eager the pauses are), one in three runs plain; every
    other run is pinned to a single CPU (a different one each time), the rest may use
    every CPU.  On a one-CPU machine pinning changes nothing.
    """
    pause = index % 3 != 2
    cpus = None
    usable = _usable_cpus()
    if index % 2 == 1 and len(usable) > 1:
        cpus = (usable[(index // 2) % len(usable)],)
    return Perturbation((seed * 1_000_003 + index) & 0x7FFFFFFF if pause else None, cpus)


@contextmanager
def background_load(workers: int):
    """Keep ``workers`` busy-looping processes running for the duration of the block."""
    procs: list[subprocess.Popen] = []
    try:
        for _ in range(max(0, workers)):
            procs.append(subprocess.Popen(
                [sys.executable, "-c", "while True: pass"], stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
        yield len(procs)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
        for proc in procs:
            proc.wait()


# --------------------------------------------------------------------------- compiling


def compiler() -> str | None:
    """The path of the C compiler to use: ``$CC`` if it names one, else cc, gcc or clang."""
    candidates = []
    env_cc = os.environ.get("CC", "").strip()
    if env_cc and len(env_cc.split()) == 1:
        candidates.append(env_cc)
    candidates += ["cc", "gcc", "clang"]
    for name in candidates:
        path = shutil.which(name)
        if path:
            return path
    return None


def _require_compiler() -> str:
    cc = compiler()
    if cc is None:
        raise RealRunError("no C compiler found (looked for $CC, cc, gcc and clang on PATH)")
    return cc


def _compile_error(source: Path, stderr: str) -> RealRunError:
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    span = None
    first = None
    for ln in lines:
        m = _GCC_ERROR.match(ln)
        if m:
            first = m.group("msg")
            span = Span(m.group("file"), int(m.group("line")), int(m.group("col") or 1))
            break
    head = "\n".join(lines[:ERROR_LINES]) or "(the compiler printed nothing)"
    summary = f": {first}" if first else ""
    return RealRunError(f"cannot compile {source}{summary}\n{head}", span)


def compile_spec(source: Path, workdir: Path, perturb: bool = True) -> Path:
    """Compile the spec ``source`` into ``workdir``; return the executable's path.

    With ``perturb`` (the default) the runtime's timing hooks are compiled in; they
    stay inert unless a run is given a seed (see :func:`run_once`).
    Raises :class:`RealRunError` if there is no compiler or the spec does not compile
    (the message names the file and quotes the compiler's first error lines).
    """
    source = Path(source)
    workdir = Path(workdir)
    cc = _require_compiler()
    if not source.is_file():
        raise RealRunError(f"cannot compile {source}: no such file")
    workdir.mkdir(parents=True, exist_ok=True)
    exe = workdir / (source.stem or "spec")
    flags = [*CFLAGS] + ([] if perturb else ["-DFORKSPEC_NO_PERTURB"])
    cached = _cached_executable(cc, flags, source)
    if cached is not None and cached.is_file():
        shutil.copy2(cached, exe)  # the same source, header and flags were compiled before
        _compile_images(source, exe, perturb)
        _launcher(workdir)
        return exe
    cmd = [cc, *flags, "-include", str(RT_HEADER), str(source), "-o", str(exe)]
    try:
        done = subprocess.run(
            cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
            errors="replace", timeout=COMPILE_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        raise RealRunError(f"cannot compile {source}: the compiler took more than {COMPILE_TIMEOUT:g}s")
    if done.returncode != 0:
        raise _compile_error(source, done.stderr)
    if cached is not None:
        _keep(exe, cached)
    _compile_images(source, exe, perturb)
    _launcher(workdir)  # build it now, so run_once does not pay for it
    return exe


# An exec of another spec file by relative path: execl("./child", ...) runs child.c beside the spec.
_EXEC_IMAGE = re.compile(r'\bexec(?:l|lp|le|v|vp|ve)\s*\(\s*"\./([A-Za-z0-9_.-]+)"')


def _images_dir(exe: Path) -> Path:
    return exe.parent / (exe.name + ".images")


def _compile_images(source: Path, exe: Path, perturb: bool) -> None:
    """Compile the spec files ``source`` execs (and those they exec) into ``<exe>.images/``;
    each run finds them in its working directory under the name the program uses."""
    todo, done = [source], {source.resolve()}
    while todo:
        src = todo.pop()
        for name in _EXEC_IMAGE.findall(src.read_text(encoding="utf-8", errors="replace")):
            child = src.parent / (name + ".c")
            if not child.is_file() or child.resolve() in done:
                continue
            done.add(child.resolve())
            target = _images_dir(exe)
            target.mkdir(exist_ok=True)
            built = compile_spec(child, target / "build", perturb)
            shutil.copy2(built, target / name)
            todo.append(child)


def _cached_executable(cc: str, flags: list[str], source: Path) -> Path | None:
    """Where an executable of exactly this source, runtime header, compiler and flags is kept
    between compilations (the temp directory), or None if it cannot be named."""
    try:
        key = b"\0".join([cc.encode(), " ".join(flags).encode(), RT_HEADER.read_bytes(), source.read_bytes()])
    except OSError:
        return None
    return Path(tempfile.gettempdir()) / f".forkspec-exe-{hashlib.sha256(key).hexdigest()[:20]}"


def _keep(exe: Path, target: Path) -> None:
    """Copy a fresh executable to the cache, atomically (concurrent compilers agree); best effort."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=target.name + ".", dir=target.parent)
        os.close(fd)
        shutil.copy2(exe, tmp)
        os.replace(tmp, target)
    except OSError:
        pass


_launchers: dict[Path, Path] = {}


def _launcher(directory: Path) -> Path:
    """The launcher executable, compiled once into the temp directory (or ``directory`` if that fails)."""
    directory = Path(directory).resolve()
    cached = _launchers.get(directory)
    if cached is not None and cached.is_file():
        return cached
    cc = _require_compiler()
    text = LAUNCHER_SOURCE.read_bytes()
    digest = hashlib.sha256(text + b"\0" + cc.encode()).hexdigest()[:12]
    name = f".forkspec-launcher-{digest}"
    last_error = ""
    places = (directory, Path(tempfile.gettempdir()))
    for where in places:  # one already built, here or in the temp directory, will do
        target = where / name
        if target.is_file() and os.access(target, os.X_OK):
            _launchers[directory] = target
            return target
    for where in reversed(places):  # built in the temp directory, it serves every later run
        target = where / name
        try:
            fd, tmp = tempfile.mkstemp(prefix=name + ".", dir=where)
        except OSError as exc:
            last_error = str(exc)
            continue
        os.close(fd)
        cmd = [cc, "-std=gnu11", "-O2", "-w", str(LAUNCHER_SOURCE), "-o", tmp]
        done = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              errors="replace", timeout=COMPILE_TIMEOUT)
        if done.returncode != 0:
            os.unlink(tmp)
            raise RealRunError(f"cannot compile the launcher {LAUNCHER_SOURCE}\n"
                               + "\n".join(done.stderr.splitlines()[:ERROR_LINES]))
        os.replace(tmp, target)  # atomic: concurrent builders agree on the result
        _launchers[directory] = target
        return target
    raise RealRunError(f"no writable directory for the launcher: {last_error}")


# --------------------------------------------------------------------------- pid renaming


def _pid_max() -> int:
    try:
        return int(Path("/proc/sys/kernel/pid_max").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 1 << 22


def pid_map(launcher_pid: int | None, p0_pid: int | None, children: set[int] | list[int],
            pid_max: int | None = None) -> dict[int, int]:
    """Map real pids to model pids.

    Children are numbered in allocation order, which is ascending pid order counted
    from P0's pid, wrapping around at ``pid_max``.
    """
    mapping: dict[int, int] = {}
    if launcher_pid is not None:
        mapping[launcher_pid] = INIT_PID
    kids = set(children) - {launcher_pid, p0_pid}
    if p0_pid is not None:
        mapping[p0_pid] = P0_PID
        limit = pid_max or _pid_max()
        order = sorted(kids, key=lambda pid: ((pid - p0_pid) % limit, pid))
    else:
        order = sorted(kids)
    for n, pid in enumerate(order, start=P0_PID + 1):
        mapping[pid] = n
    return mapping


def rename_pids(text: str, mapping: dict[int, int]) -> str:
    """Replace every maximal decimal number in ``text`` that spells a key of ``mapping``.

    Digits inside a ``0x...`` hexadecimal literal are left alone, so that an address
    printed with ``%p`` is not mangled when part of it happens to spell a pid.
    """
    if not mapping:
        return text
    names = {str(real): str(model) for real, model in mapping.items()}
    return _NUMBER.sub(lambda m: names.get(m.group(), m.group()), text)


# --------------------------------------------------------------------------- running


def _decode(data: bytes) -> str:
    return data.decode("utf-8", errors="surrogateescape")


def _read_status(path: Path) -> dict[str, int]:
    try:
        text = path.read_text()
    except OSError:
        return {}
    status: dict[str, int] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2:
            try:
                status[parts[0]] = int(parts[1])
            except ValueError:
                pass
    return status


def _read_pidlog(path: Path) -> set[int]:
    try:
        text = path.read_text()
    except OSError:
        return set()
    return {int(tok) for tok in text.split() if tok.isdigit()}


def _descendants(root: int) -> list[int]:
    """Real pids below ``root`` in the process tree, from /proc."""
    children: dict[int, list[int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                data = f.read()
            ppid = int(data[data.rindex(b")") + 2:].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    found: list[int] = []
    stack = [root]
    while stack:
        for child in children.get(stack.pop(), ()):
            found.append(child)
            stack.append(child)
    return found


def _kill_run(proc: subprocess.Popen, p0_pid: int | None) -> None:
    """SIGKILL every process of the run; the launcher then reaps them and exits by itself.

    The launcher is a subreaper, so every process of the run stays below it even
    after setsid() or the death of its parent.  It is killed only as a last resort:
    orphans would then escape to the real init.
    """
    deadline = time.monotonic() + KILL_GRACE
    while proc.poll() is None and time.monotonic() < deadline:
        victims = _descendants(proc.pid)
        if p0_pid is not None:
            try:
                os.killpg(p0_pid, signal.SIGKILL)
            except OSError:
                pass
        for pid in victims:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            proc.wait(timeout=0.02)
        except subprocess.TimeoutExpired:
            pass
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def _drain(fd: int, chunks: list[bytes], deadline: float) -> bool:
    """Read ``fd`` until EOF (EIO on a pty master); False if ``deadline`` came first."""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            continue
        try:
            data = os.read(fd, 65536)
        except OSError as exc:
            if exc.errno == errno.EIO:  # pty: every slave descriptor is closed
                return True
            if exc.errno in (errno.EINTR, errno.EAGAIN):
                continue
            raise
        if not data:
            return True
        chunks.append(data)


def _open_tty() -> tuple[int, int, bool]:
    """A pty pair (master, slave); the flag says whether ONLCR could be switched off."""
    master, slave = os.openpty()
    try:
        import termios

        attrs = termios.tcgetattr(slave)
        attrs[1] &= ~termios.ONLCR  # oflag: keep "\n" as "\n"
        termios.tcsetattr(slave, termios.TCSANOW, attrs)
        raw = not (termios.tcgetattr(slave)[1] & termios.ONLCR)
    except (ImportError, OSError, AttributeError):
        raw = False
    return master, slave, raw


def run_once(exe: Path, mode: str, timeout: float = 10.0,
             perturb: Perturbation | None = None) -> Observation:
    """Run the compiled spec ``exe`` once with stdout going to ``mode``.

    ``mode`` is ``"file"``, ``"pipe"`` or ``"tty"``.  If the run (P0 and every
    descendant) is not over after ``timeout`` seconds, all its processes are killed
    and the observation has ``timed_out=True``.  ``perturb`` seeds the runtime's
    pauses and pins the run to CPUs (see :class:`Perturbation`).
    """
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")
    exe = Path(exe).resolve()
    if not exe.is_file():
        raise RealRunError(f"no executable {exe}")
    launcher = _launcher(exe.parent)

    with tempfile.TemporaryDirectory(prefix="forkspec-run-") as tmp:
        tmpdir = Path(tmp)
        status_path = tmpdir / "status"
        pidlog = tmpdir / "pids"
        out_path = tmpdir / "stdout"
        err_path = tmpdir / "stderr"
        cwd = tmpdir / "cwd"
        cwd.mkdir()
        images = _images_dir(exe)
        if images.is_dir():
            for image in images.iterdir():
                if image.is_file():
                    os.symlink(image, cwd / image.name)

        read_fd: int | None = None
        tty_raw = True
        if mode == "file":
            write_fd = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        elif mode == "pipe":
            read_fd, write_fd = os.pipe()
        else:
            read_fd, write_fd, tty_raw = _open_tty()
        err_fd = os.open(err_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)

        env = dict(os.environ)
        env[PIDLOG_ENV] = str(pidlog)
        env.pop(PERTURB_ENV, None)
        env.pop("FORKSPEC_INIT_PID", None)
        env.pop(CPUS_ENV, None)
        if perturb is not None and perturb.seed is not None:
            env[PERTURB_ENV] = str(perturb.seed)
        if perturb is not None and perturb.cpus:
            env[CPUS_ENV] = ",".join(map(str, perturb.cpus))
        chunks: list[bytes] = []
        try:
            try:
                proc = subprocess.Popen(
                    [str(launcher), str(status_path), str(exe)],
                    stdin=subprocess.DEVNULL, stdout=write_fd, stderr=err_fd,
                    cwd=cwd, env=env, close_fds=True, start_new_session=True,
                )
            finally:
                os.close(write_fd)
                os.close(err_fd)
            deadline = time.monotonic() + timeout
            timed_out = False
            if read_fd is not None:
                timed_out = not _drain(read_fd, chunks, deadline)
            if not timed_out:
                try:
                    proc.wait(timeout=max(0.0, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    timed_out = True
            if timed_out:
                _kill_run(proc, _read_status(status_path).get("p0"))
                if read_fd is not None:
                    _drain(read_fd, chunks, time.monotonic() + KILL_GRACE)
        finally:
            if read_fd is not None:
                os.close(read_fd)

        status = _read_status(status_path)
        if "execerror" in status:
            raise RealRunError(f"cannot execute {exe}: {os.strerror(status['execerror'])}")
        if "p0" not in status and not timed_out:
            raise RealRunError(f"the launcher failed to start {exe} (exit {proc.returncode}, "
                               f"status file: {sorted(status.items())})")

        if mode == "file":
            raw = out_path.read_bytes()
        else:
            raw = b"".join(chunks)
        if mode == "tty" and not tty_raw:
            raw = raw.replace(b"\r\n", b"\n")
        err = err_path.read_bytes()
        children = _read_pidlog(pidlog)

    p0 = status.get("p0")
    mapping = pid_map(proc.pid, p0, children)
    if "status" in status:
        exit_status = _shell_status(status["status"])
    else:
        exit_status = -1
    raw_text = _decode(raw)
    return Observation(
        stdout=rename_pids(raw_text, mapping),
        stderr=rename_pids(_decode(err), mapping),
        exit_status=exit_status,
        processes=1 + len(children - {p0}),
        raw_stdout=raw_text,
        timed_out=timed_out,
        perturbation=perturb,
    )


def _shell_status(raw: int) -> int:
    if os.WIFEXITED(raw):
        return os.WEXITSTATUS(raw)
    if os.WIFSIGNALED(raw):
        return 128 + os.WTERMSIG(raw)
    return -1


def run_many(exe: Path, mode: str, runs: int, timeout: float = 10.0,
             perturb: bool = False, seed: int = 0) -> list[Observation]:
    """``runs`` independent runs of ``exe`` (one after the other).

    With ``perturb``, run ``i`` is perturbed as :func:`perturbation` (``i``, ``seed``)
    says; without it every run is plain.
    """
    if runs < 0:
        raise ValueError("runs must be >= 0")
    return [run_once(exe, mode, timeout, perturbation(i, seed) if perturb else None) for i in range(runs)]
