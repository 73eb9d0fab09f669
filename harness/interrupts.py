"""Ctrl-C and SIGTERM stop the run, every time.

Python runs a signal's handler in the main thread between two bytecodes, and
the KeyboardInterrupt it raises unwinds whatever that thread was doing. Two
things can lose it on the way:

- The run inherited SIGINT ignored: a shell without job control starts its
  background commands (`make test &` in a script) that way, and Python keeps
  it so. Ctrl-C or `kill -INT` then did nothing and the page ran to its end.
- The interrupt landed in a finalizer (`__del__`, a generator the garbage
  collector closes) or in library code with a bare `except:` (ptyprocess has
  one). Python swallows it there, and the page runs on as if nothing came.

So both signals get a handler of ours, and a request is remembered and raised
again every few seconds until pytest has taken it (its keyboard-interrupt
hook). From then on the run is stopping: a page's end removes its sandbox and
runs nothing more of the page.

The harness's own threads (sandboxes starting ahead, engines starting,
removals) are started with both signals blocked (`background`), so the
kernel hands them to the main thread, where a blocking call (a join, a read
from the engine) is interrupted at once rather than when it returns.

And `kill -USR1 <pid>` makes a run print every thread's stack: how to see
where a run that seems stuck is.
"""
from __future__ import annotations

import _thread
import faulthandler
import signal
import threading
from collections.abc import Callable
from types import FrameType

REPEAT_SECONDS = 3.0  # a swallowed request is raised again this soon
STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}

_requested: int | None = None  # the first signal that asked the run to stop
_taken = threading.Event()  # pytest caught a KeyboardInterrupt: it is winding the run down


def install() -> None:
    """Make SIGINT and SIGTERM stop the run, whatever this process inherited."""
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    faulthandler.register(signal.SIGUSR1, all_threads=True)


def background(target: Callable[[], object], name: str) -> threading.Thread:
    """Start a daemon thread that never takes SIGINT or SIGTERM (a new thread inherits the
    signal mask of the thread that starts it)."""
    old = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        thread = threading.Thread(target=target, daemon=True, name=name)
        thread.start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
    return thread


def stopping() -> bool:
    """Whether the run was asked to stop: the pages' ends do only their cleanup."""
    return _requested is not None


def taken() -> None:
    """pytest has the interrupt and is tearing the run down: no more repeats, which
    would interrupt that cleanup."""
    _taken.set()


def _on_signal(signum: int, frame: FrameType | None) -> None:
    global _requested
    if _requested is None:
        _requested = signum
        background(_repeat, "stop-request")
    # pytest tears down fixtures and runs pytest_unconfigure on KeyboardInterrupt, not on SIGTERM
    raise KeyboardInterrupt(f"signal {signum}")


def _repeat() -> None:
    while not _taken.wait(REPEAT_SECONDS):
        _thread.interrupt_main(signal.SIGINT)  # runs _on_signal in the main thread again
