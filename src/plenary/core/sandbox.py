"""Running a program that reads an uploaded file (LibreOffice, the file check) in a box.

The box has no network: bubblewrap (`bwrap --unshare-all`, Debian package `bubblewrap`)
with only the system's programs and libraries readable and one folder writable, or, when
bwrap cannot run, `unshare --net` (util-linux) which removes the network only. Which one
works is probed once per process, by looking at the network interfaces seen inside: only
`lo` may be there. The program runs in its own process group, limited in address space,
CPU time and size of the files it writes (`prlimit`), and the whole group is killed when
it overruns its time.

At most PLENARY_RENDER_CONCURRENCY boxes run at once across all the processes of the
server: each holds one of that many lock files under PLENARY_VAR_DIR (`flock`), and a
newcomer waits for a free one up to a bound, then gives up (`Busy`).

PLENARY_SANDBOX (environment) forces a mechanism: "bwrap", "unshare", or "none" (no
isolation available: whatever must be boxed is refused).
"""

import contextlib
import fcntl
import functools
import logging
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

logger = logging.getLogger(__name__)

DEFAULT_CONCURRENCY = 2
BWRAP = "/usr/bin/bwrap"


class Unavailable(Exception):
    """No isolation works on this machine."""


class Busy(Exception):
    """Every slot stayed taken for the whole wait."""


class TimedOut(Exception):
    """The program overran its time and was killed with its whole process group."""


@dataclass(frozen=True)
class Limits:
    memory_bytes: int  # RLIMIT_AS of each process
    cpu_seconds: int  # RLIMIT_CPU of each process
    file_bytes: int  # RLIMIT_FSIZE: the largest file it may write
    wall_seconds: float  # then the process group is killed


@dataclass(frozen=True)
class Result:
    returncode: int
    stdout: bytes
    stderr: bytes


# --- which isolation works --------------------------------------------------------------------


def _bwrap_command(argv: list[str], writable=(), readable=()) -> list[str]:
    command = [
        shutil.which("bwrap") or BWRAP,
        "--unshare-all",  # network, IPC, PIDs, host name, cgroups (and users when possible)
        "--die-with-parent",
        "--new-session",
        "--ro-bind",
        "/usr",
        "/usr",
        "--ro-bind",
        "/etc",
        "/etc",
        "--ro-bind-try",
        "/opt",
        "/opt",
        "--dev",
        "/dev",
        "--proc",
        "/proc",
        "--tmpfs",
        "/tmp",  # noqa: S108 - a private, empty /tmp inside the box
    ]
    for top in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/") / top
        if path.is_symlink():
            command += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            command += ["--ro-bind", str(path), str(path)]
    for path in dict.fromkeys(str(Path(p).resolve()) for p in readable if p and Path(p).exists()):
        command += ["--ro-bind", path, path]
    for path in writable:
        command += ["--bind", str(path), str(path)]
    return [*command, "--", *argv]


def _unshare_command(argv: list[str], writable=(), readable=()) -> list[str]:
    return [shutil.which("unshare") or "/usr/bin/unshare", "--net", "--", *argv]


WRAPPERS = {"bwrap": _bwrap_command, "unshare": _unshare_command}
_PROBE = ["/bin/sh", "-c", "cat /proc/net/dev"]


@functools.cache
def _works(name: str) -> bool:
    """The mechanism starts a program and that program sees no interface but `lo`."""
    try:
        probe = subprocess.run(WRAPPERS[name](_PROBE), capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    interfaces = [line.split(b":")[0].strip() for line in probe.stdout.splitlines() if b":" in line]
    return probe.returncode == 0 and interfaces == [b"lo"]


def mechanism() -> str | None:
    """ "bwrap", "unshare", or None when neither isolates the network here."""
    forced = os.environ.get("PLENARY_SANDBOX", "").strip().lower()
    if forced == "none":
        return None
    names = [forced] if forced in WRAPPERS else list(WRAPPERS)
    return next((name for name in names if _works(name)), None)


def python_paths() -> list[str]:
    """What a Python child needs to read inside the box: the interpreter and its modules."""
    return [sys.prefix, sys.base_prefix, sys.executable, *sys.path]


# --- running --------------------------------------------------------------------------------


def _prlimit(limits: Limits) -> list[str]:
    tool = shutil.which("prlimit")
    if not tool:
        raise Unavailable("prlimit (util-linux) is not installed")
    return [
        tool,
        f"--as={limits.memory_bytes}",
        f"--cpu={limits.cpu_seconds}",
        f"--fsize={limits.file_bytes}",
        "--core=0",
        "--",
    ]


def run(
    argv: list[str],
    *,
    limits: Limits,
    input: bytes = b"",
    env: dict | None = None,
    writable=(),
    readable=(),
    boxed: bool = True,
) -> Result:
    """Run `argv` limited, in the box (Unavailable when there is none) unless `boxed` is
    False; TimedOut when it overran `limits.wall_seconds`."""
    if boxed:
        name = mechanism()
        if name is None:
            raise Unavailable("neither bwrap nor unshare can isolate a program here")
        argv = WRAPPERS[name](argv, writable=writable, readable=readable)
    process = subprocess.Popen(
        [*_prlimit(limits), *argv],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, killed whole below
        env=env if env is not None else {"PATH": "/usr/bin:/bin"},
        close_fds=True,
    )
    try:
        stdout, stderr = process.communicate(input, timeout=limits.wall_seconds)
    except subprocess.TimeoutExpired:
        _kill_group(process.pid)
        process.communicate()
        raise TimedOut(f"{argv[0]} overran {limits.wall_seconds} s") from None
    finally:
        _kill_group(process.pid)  # anything it left behind
    return Result(process.returncode, stdout, stderr)


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


# --- the queue --------------------------------------------------------------------------------


def setting(name: str, default: float) -> float:
    """A Django setting, else the environment variable of the same name, else `default`."""
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name, "").strip() or default
    return float(value)


def concurrency() -> int:
    return max(1, int(setting("PLENARY_RENDER_CONCURRENCY", DEFAULT_CONCURRENCY)))


def _slot_folder() -> Path:
    folder = Path(settings.VAR_DIR) / "render-slots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _take_free_slot(folder: Path, count: int) -> int | None:
    """The descriptor of a lock file now held, or None when all are taken."""
    for number in random.sample(range(count), count):
        descriptor = os.open(folder / f"slot-{number}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            continue
        return descriptor
    return None


@contextlib.contextmanager
def slot(wait_seconds: float):
    """Hold one of the server's PLENARY_RENDER_CONCURRENCY slots for the block; Busy when
    none came free within `wait_seconds`. A slot is a lock: it is freed when the holder's
    process ends, however it ends."""
    folder, count = _slot_folder(), concurrency()
    deadline = time.monotonic() + wait_seconds
    while (descriptor := _take_free_slot(folder, count)) is None:
        if time.monotonic() >= deadline:
            raise Busy(f"no render slot free within {wait_seconds} s")
        time.sleep(0.05 + random.random() * 0.1)  # noqa: S311 - only spreads the retries
    try:
        yield
    finally:
        fcntl.flock(descriptor, fcntl.LOCK_UN)
        os.close(descriptor)


# --- LibreOffice ------------------------------------------------------------------------------


def soffice() -> str | None:
    return shutil.which("soffice")


def _soffice_run(office: str, source: Path, limits: Limits, boxed: bool) -> Result:
    folder = source.parent
    return run(
        [
            office,
            f"-env:UserInstallation={(folder / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder),
            str(source),
        ],
        limits=limits,
        env={"PATH": "/usr/bin:/bin", "HOME": str(folder), "LANG": "C.UTF-8"},
        writable=[folder],
        boxed=boxed,
    )


def _profile_template(office: str, limits: Limits, boxed: bool) -> Path | None:
    """A LibreOffice profile made once, by converting a line of our own text, and copied
    for each conversion: a first start in a fresh profile costs a second or two more. No
    uploaded file ever runs in it, only in a copy."""
    template = Path(settings.VAR_DIR) / "render-profile"
    if (template / "user").is_dir():
        return template
    with tempfile.TemporaryDirectory(prefix="plenary-profile-", dir=settings.VAR_DIR) as folder:
        source = Path(folder) / "warm.txt"
        source.write_text("Plenary\n")
        try:
            _soffice_run(office, source, limits, boxed)
        except (TimedOut, Unavailable, OSError):
            return None
        with contextlib.suppress(OSError):  # another process may have made it meanwhile
            os.rename(Path(folder) / "profile", template)
    return template if (template / "user").is_dir() else None


def convert_to_pdf(
    source: Path, *, limits: Limits, boxed: bool = True, office: str | None = None
) -> Path | None:
    """LibreOffice converts `source` (in a folder of its own, the only one it may write)
    to PDF next to it, with a copy of a clean profile; the PDF, or None when none was made.
    Unavailable, TimedOut as `run`."""
    office = office or soffice()
    if not office:
        raise Unavailable("LibreOffice (soffice) is not installed")
    if boxed and mechanism() is None:
        raise Unavailable("neither bwrap nor unshare can isolate a program here")
    template = _profile_template(office, limits, boxed)
    if template is not None:
        shutil.copytree(template, source.parent / "profile", symlinks=True)
    result = _soffice_run(office, source, limits, boxed)
    produced = source.with_suffix(".pdf")
    if result.returncode != 0 or not produced.exists():
        logger.warning(
            "LibreOffice made no PDF (exit %s): %s",
            result.returncode,
            result.stderr.decode(errors="replace")[-500:],
        )
        return None
    return produced
