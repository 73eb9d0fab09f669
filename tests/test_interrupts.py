"""A stop request is not lost where Python swallows the KeyboardInterrupt it raises."""
import signal
import subprocess
import sys

from pagerun import ROOT

PROGRAM = """
import sys, time
from harness import interrupts

interrupts.install()

class Pty:
    def __del__(self):  # like ptyprocess: a finalizer that swallows everything
        try:
            print("finalizing", flush=True)
            time.sleep(5)
        except:  # noqa: E722
            pass

Pty()  # finalized at once, in the main thread
print("ran on after the finalizer", flush=True)
for _ in range(300):
    time.sleep(0.1)
print("ran to the end", flush=True)
"""


def run_and_signal(sig):
    proc = subprocess.Popen([sys.executable, "-c", PROGRAM], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    assert proc.stdout.readline() == "finalizing\n"
    proc.send_signal(sig)  # lands in the finalizer's sleep, where the bare except takes it
    out = proc.stdout.read()
    proc.wait(timeout=60)
    return proc.returncode, out


def test_a_signal_swallowed_by_a_finalizer_still_stops_the_program():
    code, out = run_and_signal(signal.SIGTERM)
    assert "ran on after the finalizer" in out  # the first KeyboardInterrupt was lost...
    assert "ran to the end" not in out, out  # ...and the repeated request stopped it anyway
    assert "KeyboardInterrupt: signal" in out, out
    assert code != 0


def test_sigint_too():
    code, out = run_and_signal(signal.SIGINT)
    assert "ran to the end" not in out, out
    assert code != 0


def test_the_harness_threads_leave_stop_signals_to_the_main_thread():
    import threading

    from harness.interrupts import STOP_SIGNALS, background

    before = signal.pthread_sigmask(signal.SIG_BLOCK, set())
    seen: list[set] = []
    done = threading.Event()
    thread = background(lambda: (seen.append(signal.pthread_sigmask(signal.SIG_BLOCK, set())), done.set()), "t")
    done.wait(10)
    thread.join(10)
    assert seen[0] >= STOP_SIGNALS  # the thread never takes them
    assert signal.pthread_sigmask(signal.SIG_BLOCK, set()) == before  # the starting thread's mask is as it was
