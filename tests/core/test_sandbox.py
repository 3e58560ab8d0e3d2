"""The box of plenary.core.sandbox, with real processes: no network inside (a real listener
on 127.0.0.1 sees nothing, while the same program outside the box reaches it), limits on
memory and file size, the whole process group killed on timeout, and a bounded number of
slots shared by threads and by other processes."""

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from plenary.core import sandbox

from .listener import Listener

LIMITS = sandbox.Limits(
    memory_bytes=512 * 1024 * 1024, cpu_seconds=10, file_bytes=1024 * 1024, wall_seconds=10
)
CONNECT = "import socket, sys; socket.create_connection(('127.0.0.1', int(sys.argv[1])), 2)"


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


def _python(code: str, *args: str, **kwargs) -> sandbox.Result:
    return sandbox.run(
        [sys.executable, "-c", code, *args],
        limits=kwargs.pop("limits", LIMITS),
        readable=sandbox.python_paths(),
        **kwargs,
    )


def test_bubblewrap_isolates_here_and_unshare_is_the_fallback(monkeypatch):
    assert sandbox.mechanism() == "bwrap"
    monkeypatch.setenv("PLENARY_SANDBOX", "unshare")
    assert sandbox.mechanism() == "unshare"
    monkeypatch.setenv("PLENARY_SANDBOX", "none")
    assert sandbox.mechanism() is None
    with pytest.raises(sandbox.Unavailable):
        sandbox.run(["/bin/true"], limits=LIMITS)


@pytest.mark.parametrize("forced", ["bwrap", "unshare"])
def test_a_program_in_the_box_reaches_nothing(monkeypatch, listener, forced):
    monkeypatch.setenv("PLENARY_SANDBOX", forced)
    boxed = _python(CONNECT, str(listener.port))
    assert boxed.returncode != 0 and b"Error" in boxed.stderr
    time.sleep(0.2)
    assert listener.connections == 0
    outside = _python(CONNECT, str(listener.port), boxed=False)  # the control: it can connect
    assert outside.returncode == 0, outside.stderr
    for _ in range(20):
        if listener.connections:
            break
        time.sleep(0.05)
    assert listener.connections == 1


def test_memory_and_file_size_are_limited(tmp_path):
    allocate = _python("b = bytearray(1024 * 1024 * 1024)")
    assert allocate.returncode != 0 and b"MemoryError" in allocate.stderr
    write = sandbox.run(
        ["/bin/sh", "-c", f"head -c 3000000 /dev/zero > {tmp_path}/big"],
        limits=LIMITS,
        writable=[tmp_path],
    )
    assert write.returncode != 0
    assert (tmp_path / "big").stat().st_size <= LIMITS.file_bytes


def test_the_box_sees_only_what_it_is_given(tmp_path):
    secret = Path("/work") if Path("/work").exists() else Path.home()
    listing = sandbox.run(["/bin/ls", str(secret)], limits=LIMITS)
    assert listing.returncode != 0  # not bound into the box
    made = sandbox.run(
        ["/bin/sh", "-c", f"echo hi > {tmp_path}/out"], limits=LIMITS, writable=[tmp_path]
    )
    assert made.returncode == 0 and (tmp_path / "out").read_text() == "hi\n"


@pytest.mark.parametrize("boxed", [True, False])
def test_a_program_that_overruns_is_killed_with_its_children(tmp_path, boxed):
    pid_file = tmp_path / "child.pid"
    limits = sandbox.Limits(LIMITS.memory_bytes, 10, 1024, wall_seconds=1)
    started = time.monotonic()
    with pytest.raises(sandbox.TimedOut):
        sandbox.run(
            ["/bin/sh", "-c", f"sleep 300 & echo $! > {pid_file}; sleep 300"],
            limits=limits,
            writable=[tmp_path],
            boxed=boxed,
        )
    assert time.monotonic() - started < 5
    if not boxed:  # a pid of the host: that sleep must be gone too
        pid = int(pid_file.read_text())
        time.sleep(0.2)
        stat = Path(f"/proc/{pid}/stat")
        assert not stat.exists() or stat.read_text().split(") ")[1][0] in "ZX"


def test_slots_are_bounded_across_threads(settings):
    settings.PLENARY_RENDER_CONCURRENCY = 2
    held, release = threading.Barrier(3), threading.Event()

    def hold():
        with sandbox.slot(1):
            held.wait()
            release.wait(5)

    holders = [threading.Thread(target=hold) for _ in range(2)]
    for thread in holders:
        thread.start()
    held.wait()
    started = time.monotonic()
    with pytest.raises(sandbox.Busy), sandbox.slot(0.5):
        pass
    assert 0.4 < time.monotonic() - started < 2
    release.set()
    for thread in holders:
        thread.join()
    with sandbox.slot(0.5):  # free again
        pass


def test_a_slot_held_by_another_process_counts(settings):
    settings.PLENARY_RENDER_CONCURRENCY = 1
    folder = sandbox._slot_folder()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys, time; d = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT);"
            "fcntl.flock(d, fcntl.LOCK_EX); print('held', flush=True); time.sleep(30)",
            str(folder / "slot-0.lock"),
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout.readline() == b"held\n"
        with pytest.raises(sandbox.Busy), sandbox.slot(0.3):
            pass
    finally:
        holder.kill()
        holder.wait()
    with sandbox.slot(2):  # the lock went with the process
        pass
    assert os.path.exists(folder / "slot-0.lock")
