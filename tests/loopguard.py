"""The loop-stall guard: a test in which server code stalls the event loop for more than 100 ms fails.

One stalled callback delays every room's tick and every client's round trip (docs/architecture.md,
"Nothing blocks the event loop"). A watchdog thread posts a ping to the test's event loop every
`period` seconds; while a ping is late, it samples the loop thread's stack (with faulthandler, as
pytest-timeout does) until the ping runs, and a ping more than `threshold` late is recorded as a
stall, with the function the samples found.

Who stalled is read from the sampled stack's project frames (files of this repository):
- the innermost one names the culprit (`file:line in function`);
- the outermost one says whose work it was. A server task (a handler, the tick, a hook) starts in
  server/ or wire/: that stall FAILS the test. Test code that calls server functions synchronously
  (`server.add_user` hashing a password, `world.create_room`, fixtures starting and stopping the
  server) starts in tests/, and the Panda3D client rendering in-process starts in client/: those are
  WARNINGS, because they are the harness, not the server a person talks to. A stack with any client/
  frame is the client's, even where the client session's dispatch (wire/session.py) is outermost.
Stalls while the loop is not running (between fixture setup and the test) are not stalls.

Time the loop thread spent ready to run but without a CPU (the kernel's run-queue wait, from
/proc/self/task/<tid>/schedstat) is the machine's, not the code's: a server stall that is under the
threshold without it is a WARNING too. On a 2-core CI machine the in-process client's Mesa threads and the
server's own tests share two CPUs, and CI once failed a test on a 730 ms "stall" in one socket write of a
snapshot, a call that takes microseconds. Blocking in the code (sleep, a lock, a synchronous file write)
is not run-queue time: it fails.

PEERSPACE_LOOP_STALL_MS sets the threshold (default 100); PEERSPACE_LOOP_GUARD=0 turns it off.
"""

from __future__ import annotations

import asyncio
import collections
import faulthandler
import os
import re
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVER_DIRS = ("server", "wire")
THRESHOLD = float(os.environ.get("PEERSPACE_LOOP_STALL_MS", "100")) / 1000
ENABLED = os.environ.get("PEERSPACE_LOOP_GUARD", "1") != "0"


class LoopStallWarning(UserWarning):
    """The loop stalled in test harness or client code (not a server fault)."""


def _project_path(filename: str) -> str | None:
    """'server/world/world.py' for a file of this repository (not its virtualenv), else None."""
    if not os.path.isabs(filename) or "site-packages" in filename or "/.venv/" in filename:
        return None  # "<frozen runpy>", "<string>", the virtualenv
    try:
        rel = Path(filename).resolve().relative_to(ROOT)
    except (ValueError, OSError):
        return None
    return rel.as_posix()


@dataclass
class Sample:
    origin: str  # top-level directory of the outermost project frame: server, wire, tests, client
    chain: tuple[str, ...]  # project frames, innermost first: "server/x.py:12 in f"


_FRAME = re.compile(r'^  File "(?P<file>.+)", line (?P<line>\d+) in (?P<func>.+)$')


def sample_stack(frames: list[tuple[str, int, str]]) -> Sample | None:
    """A Sample from (filename, line, function) frames, innermost first; None when no project frame ran."""
    chain = []
    for filename, line, func in frames:
        rel = _project_path(filename)
        if rel is not None and rel != "tests/loopguard.py":
            chain.append((rel, f"{rel}:{line} in {func}"))
    if not chain:
        return None
    # The server never calls client code: a stack with a client/ frame is the in-process client's work, even
    # when its outermost frame is the client session's dispatch in wire/session.py.
    client = any(rel.startswith("client/") for rel, _ in chain)
    return Sample(origin="client" if client else chain[-1][0].split("/", 1)[0], chain=tuple(c for _, c in chain))


def thread_frames(dump: str, thread_id: int) -> list[tuple[str, int, str]] | None:
    """One thread's frames (innermost first) from a faulthandler dump; None if its stack is not whole
    (neither the event loop's `_run_once` nor faulthandler's depth cut-off was reached)."""
    frames, mine, whole = [], False, False
    for line in dump.splitlines():
        if line.startswith(("Thread 0x", "Current thread 0x")):
            if mine:
                break
            mine = int(line.split("0x", 1)[1].split()[0], 16) == thread_id
            continue
        if not mine:
            continue
        m = _FRAME.match(line)
        if m:
            frames.append((m["file"], int(m["line"]), m["func"]))
            whole = whole or m["func"] == "_run_once"
        elif line.strip() == "...":
            whole = True  # deeper than faulthandler prints: the innermost frames are all there
    return frames if mine and whole else None


def run_queue_wait(native_id: int) -> float:
    """Seconds a thread has so far been ready to run without a CPU; 0 where the kernel does not say."""
    try:
        with open(f"/proc/self/task/{native_id}/schedstat") as f:
            return int(f.read().split()[1]) / 1e9
    except (OSError, ValueError, IndexError):
        return 0.0


@dataclass
class Stall:
    seconds: float
    origin: str  # whose work it was (see the module docstring)
    where: str  # the culprit, then up to three callers
    samples: int = 0
    queued: float = 0.0  # of `seconds`, how long the loop thread was ready to run but had no CPU
    starved: bool = False  # under the threshold without `queued`: the machine was busy, not the code slow

    @property
    def in_server(self) -> bool:
        return self.origin in SERVER_DIRS

    def __str__(self) -> str:
        said = f"event loop stalled {self.seconds * 1000:.0f} ms in {self.origin} code: {self.where}"
        if self.queued >= 0.001:
            said += f"; the loop thread waited {self.queued * 1000:.0f} ms of it for a CPU"
        return said + (" (the machine was busy)" if self.starved else "")


def judge(seconds: float, samples: list[Sample]) -> Stall:
    """One stall from the stacks sampled while it lasted: the most common culprit chain wins."""
    if not samples:
        return Stall(
            seconds,
            "unknown",
            "no Python frame of this project was running (GC, the interpreter, or the whole process was descheduled)",
        )
    counts = collections.Counter((s.origin, s.chain) for s in samples)
    (origin, chain), n = counts.most_common(1)[0]
    return Stall(seconds, origin, " <- ".join(chain[:4]), n)


@dataclass
class LoopWatch:
    loop: object
    thread_id: int
    native_id: int  # the loop thread's kernel id: threading.get_native_id() in it
    threshold: float = THRESHOLD
    period: float = 0.02
    sample_every: float = 0.005
    stalls: list[Stall] = field(default_factory=list)

    @classmethod
    def of_this_loop(cls) -> LoopWatch:
        """A watch on the running event loop and its thread (call it from that loop)."""
        return cls(asyncio.get_running_loop(), threading.get_ident(), threading.get_native_id())

    def __post_init__(self):
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="loop-stall-guard", daemon=True)
        self._reported = 0
        self._idle = threading.Condition()
        self._dump = tempfile.TemporaryFile()
        self._in_ping = False

    def start(self) -> LoopWatch:
        self._thread.start()
        return self

    def stop(self) -> list[Stall]:
        self._stop.set()
        self._thread.join(5)
        self._dump.close()
        return self.stalls

    def _sample(self) -> Sample | None:
        """The loop thread's stack now. Read with faulthandler, which walks the frames as they are without
        creating frame objects for another thread (sys._current_frames + f_back did that, raced the running
        thread and once aborted the process while the Panda3D client drew in the loop thread)."""
        fd = self._dump.fileno()
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        faulthandler.dump_traceback(self._dump, all_threads=True)
        size = os.lseek(fd, 0, os.SEEK_END)
        text = os.pread(fd, size, 0).decode("utf-8", "replace")
        frames = thread_frames(text, self.thread_id)
        return sample_stack(frames) if frames else None

    def settle(self, timeout: float = 1.0) -> None:
        """Wait until the ping in flight (if any) is judged, so a stall that just ended is counted."""
        with self._idle:
            self._idle.wait_for(lambda: not self._in_ping, timeout)

    def _run(self) -> None:
        while not self._stop.wait(self.period):
            if not self.loop.is_running():
                continue
            with self._idle:
                self._in_ping = True
            try:
                self._ping()
            finally:
                with self._idle:
                    self._in_ping = False
                    self._idle.notify_all()

    def _ping(self) -> None:
        ran = threading.Event()
        ran_at: list[float] = []

        def pong():
            ran_at.append(time.monotonic())
            ran.set()

        posted = time.monotonic()
        queued_before = run_queue_wait(self.native_id)
        try:
            self.loop.call_soon_threadsafe(pong)
        except RuntimeError:  # the loop closed
            self._stop.set()
            return
        samples: list[Sample] = []
        while not ran.wait(self.sample_every):
            if not self.loop.is_running() or self._stop.is_set():
                return  # the loop was stopped (between fixture and test, or at the end), not stalled
            s = self._sample()
            if s is not None:
                samples.append(s)
        late = ran_at[0] - posted
        if late > self.threshold:
            stall = judge(late, samples)
            stall.queued = run_queue_wait(self.native_id) - queued_before
            stall.starved = late - stall.queued <= self.threshold
            self.stalls.append(stall)

    def new_stalls(self) -> list[Stall]:
        """Stalls found since the last call."""
        found = self.stalls[self._reported :]
        self._reported = len(self.stalls)
        return found


def verdict(stalls: list[Stall]) -> tuple[list[Stall], list[Stall]]:
    """(failures, warnings): a server stall fails unless it was a stall only because the machine was busy."""
    failing = [s.in_server and not s.starved for s in stalls]
    return [s for s, f in zip(stalls, failing) if f], [s for s, f in zip(stalls, failing) if not f]
