"""What every runner needs: a command run in the page's shell, within its limits, and why it stopped."""
from __future__ import annotations

import signal

from ..errors import EngineStopped
from ..fences import Block
from ..page import Page
from ..sandbox import DISK_CHECK_SECONDS, Sandbox, gib
from ..shell import Result
from .saving import save

DEFAULT_TIMEOUT = 60.0
SCRIPTS_DIR = "/var/tmp/hb"


def timeout(page: Page, block: Block) -> float:
    """The block's own timeout, else the page's (`<!-- test-page: timeout=... -->`), else the default."""
    return float(block.options.get("timeout", page.plan.options.get("timeout", default_timeout())))


def default_timeout() -> float:
    import os

    return float(os.environ.get("HANDBOOK_BLOCK_TIMEOUT", DEFAULT_TIMEOUT))


def loose(page: Page, block: Block) -> bool:
    """Whether runs of spaces and blank lines are ignored (`whitespace=loose`, block or page)."""
    return bool(block.options.get("whitespace", page.plan.options.get("whitespace", "exact")) == "loose")


def run(page: Page, command: str, seconds: float, typed: bool = False) -> Result:
    box = page.box()

    def waiting() -> str:
        readers = terminal_readers(box)
        return ("\n[harness] waiting for input from the terminal: " + "; ".join(readers)) if readers else ""

    result = page.sh().run(command, seconds, on_timeout=waiting, typed=typed, watch=box.over_disk,
                           every=DISK_CHECK_SECONDS)
    if result.status == 128 + signal.SIGXFSZ:
        # killed by SIGXFSZ: a file would have grown past RLIMIT_FSIZE, which is the disk bound
        result.stopped = (f"a file would have grown past the page's {gib(box.disk)} disk bound, and the command "
                          "was stopped. A page that needs more says so: <!-- test-page: disk=8g -->")
    page.examples_seconds += result.seconds
    return result


def write_script(page: Page, body: str) -> str:
    """The block's text as a file in the sandbox, for `source`; returns its path."""
    page.counter += 1
    path = f"{SCRIPTS_DIR}/block-{page.counter}.sh"
    save(page, path, body.encode())
    return path


def stopped_note(page: Page, result: Result) -> str:
    """Why a command did not finish normally ("" when it did); a shell or engine gone stops the page."""
    notes = []
    if result.stopped:
        notes.append(result.stopped)
    if result.incomplete:
        notes.append("the command is incomplete: bash waits for more input (it was interrupted); "
                     "a line that continues a command starts with `> `")
    if result.unsent:
        notes.append(f"bash ended the command before its last {result.unsent} line(s), which were not run: "
                     "it does not continue there (a `> ` line continues a command only while bash waits for more)")
    if result.timed_out:
        notes.append("timed out: the command did not finish in time and was interrupted")
    if result.truncated:
        notes.append("output too large: cut off after 4 MiB")
    if result.gone:
        if not engine_answers(page):
            page.shell_gone = page.broken = "the Docker engine stopped"
            notes.append("the Docker engine stopped answering during this block: the page cannot go on")
        else:
            page.shell_gone = "it exited during this block (exit, exec, or a killed process)"
            notes.append("the page's shell exited: later blocks on this page cannot run")
    return "; ".join(notes)


def engine_answers(page: Page) -> bool:
    try:
        return bool(page.ctx.engine().ping())
    except Exception:  # noqa: BLE001 - any failure to answer means the engine is gone
        return False


def terminal_readers(box: Sandbox) -> list[str]:
    """Commands blocked reading the terminal: why a block hangs more often than not."""
    script = (
        "for p in /proc/[0-9]*; do "
        "w=$(cat $p/wchan 2>/dev/null); t=$(readlink $p/fd/0 2>/dev/null); "
        "case \"$w:$t\" in n_tty_read*:/dev/pts/*|wait_woken*:/dev/pts/*|do_select*:/dev/pts/*"
        "|poll_schedule_timeout*:/dev/pts/*|core_sys_select*:/dev/pts/*|do_sys_poll*:/dev/pts/*) "
        "tr '\\0' ' ' < $p/cmdline; echo;; esac; done"
    )
    try:
        _, out = box.exec_root(["sh", "-c", script], user="reader")  # same uid: may read its /proc
    except EngineStopped:
        return []
    readers = []
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("bash --norc --noprofile --noediting -i"):
            line = "the page's shell itself (a `read`, or a command it is still parsing)"
        if line and line not in readers:
            readers.append(line)
    return readers
