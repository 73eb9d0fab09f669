"""One persistent bash per page, driven like a reader typing into a terminal.

A page's blocks share this shell, so `cd`, `export`, functions, aliases and
an activated virtual environment carry over from block to block. pexpect
drives `docker exec -it ... bash`; each command's end is recognised by a
prompt that carries a per-page random token and the command's exit status.
The continuation prompt (PS2) carries the token too: the harness sees each
time bash asks for another line of a command, so it always knows whether
the output it holds belongs to the command it sent, and a command that bash
would still wait on fails at once instead of at its timeout.

Only the page's own commands stay in the shell's history: the harness's
setup and its queries (`pwd`, `env`, `make -n`) delete themselves from it,
so `history` on a page shows what a reader typed.
"""
from __future__ import annotations

import re
import secrets
import signal
import time
from dataclasses import dataclass

import pexpect

from .errors import ShellGone

MAX_OUTPUT = 4 * 1024 * 1024  # bytes of output kept per command; more is cut off


@dataclass
class Result:
    output: str
    status: int | None  # None when the shell is gone or the command was stopped
    timed_out: bool = False
    gone: bool = False  # the shell exited (a block ran `exit`, or `exec` replaced it)
    truncated: bool = False
    seconds: float = 0.0
    stopped: str = ""  # why a watch stopped the command before its timeout
    incomplete: bool = False  # bash asked for more lines than the command has, and was interrupted
    unsent: int = 0  # lines never sent: bash ended the command before them


class Shell:
    def __init__(self, argv: list[str], start_timeout: float = 30):
        self.token = secrets.token_hex(6)
        self.marker = re.compile(rb"\x1eHB" + self.token.encode() + rb":(\d+)\x1f")
        self.more = re.compile(rb"\x1eHB" + self.token.encode() + rb":\+\x1f")  # PS2: bash wants another line
        self.child = pexpect.spawn(argv[0], argv[1:], encoding=None, echo=False,
                                   dimensions=(50, 80), timeout=None, preexec_fn=_signals_unblocked)
        self.child.delaybeforesend = None
        self.alive = True
        # Job control off: no "[1]+ Done" lines between a command's output and the next prompt.
        # The prompts are rebuilt before every command, so `source ~/.bashrc` or an activated
        # virtual environment cannot hide it; the function keeps `$?` for the reader.
        # A harness command sets __hb_quiet; the prompt function then deletes that command's
        # line from the history before the page sees the prompt.
        setup = (
            # octal escapes, expanded only when the prompt is drawn: printing $PS1, $PS2 or `env`
            # never shows a marker itself
            # the size too: docker exec passes the terminal's size on only after the shell started,
            # so on a busy machine the first command could see 0 0
            "stty -echo rows 50 cols 80; set +m; "
            "__hb_prompt() { local s=$?; "
            "if [ -n \"${__hb_quiet-}\" ]; then history -d -1 2>/dev/null; unset __hb_quiet; fi; "
            f"PS1='\\036HB{self.token}:'$s'\\037'; PS2='\\036HB{self.token}:+\\037'; return $s; }}; "
            "PROMPT_COMMAND=__hb_prompt"
        )
        result = self.run(setup, timeout=start_timeout)
        if result.status != 0:
            raise ShellGone(f"the page's shell did not start: {result.output[-500:]!r}")

    def run(self, command: str, timeout: float, on_timeout=None, typed: bool = False, watch=None,
            every: float = 5.0) -> Result:
        """Send one command; wait for its prompt; return its output and status.

        `typed` marks the page's own commands: only those stay in the shell's history.
        `watch()`, called every `every` seconds while the command runs, returns why the
        command must stop now (a limit it crossed), or ''.
        """
        if not self.alive:
            return Result("", None, gone=True)
        began = time.monotonic()
        # One line at a time, each only when bash asks for it (PS2): bash never holds a line
        # the harness has not accounted for, so the output read belongs to this command.
        lines = command.split("\n")
        self.child.send((lines[0] if typed else "__hb_quiet=1; " + lines[0]).encode() + b"\n")
        sent = 1
        buf = bytearray()
        truncated = False
        deadline = began + timeout
        next_watch = began + every
        asked = 0  # continuation prompts seen: bash asks once before each line after the first
        scanned = 0
        while True:
            m = self.marker.search(buf, max(0, len(buf) - 65536 - 64))
            if m:
                out = self._strip(bytes(buf[: m.start()]))
                return Result(_decode(out), int(m[1]), truncated=truncated, seconds=time.monotonic() - began,
                              unsent=len(lines) - sent)
            if asked < len(lines):
                for more in self.more.finditer(buf, scanned):
                    asked += 1
                    scanned = more.end()
                    if sent < len(lines):
                        self.child.send(lines[sent].encode() + b"\n")
                        sent += 1
                if asked >= len(lines):
                    # every line is read and bash asks for one more: the command is not complete,
                    # and waiting would only end at the timeout
                    return self._interrupt(buf, began, "", truncated, incomplete=True)
            if len(buf) > MAX_OUTPUT:
                # keep the tail (where the prompt will appear) and stop the flood
                if not truncated:
                    self.child.sendcontrol("c")
                truncated = True
                cut = len(buf) - 65536
                del buf[:cut]
                scanned = max(0, scanned - cut)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                extra = on_timeout() if on_timeout else ""
                return self._interrupt(buf, began, extra, truncated)
            if watch is not None and time.monotonic() >= next_watch:
                why = watch()
                next_watch = time.monotonic() + every
                if why:
                    result = self._interrupt(buf, began, "", truncated)
                    result.timed_out, result.stopped = False, why
                    return result
            try:
                buf += self.child.read_nonblocking(65536, timeout=min(remaining, 1.0))
            except pexpect.TIMEOUT:
                continue
            except pexpect.EOF:
                self.alive = False
                return Result(_decode(self._strip(bytes(buf))), None, gone=True, truncated=truncated,
                              seconds=time.monotonic() - began)

    def _interrupt(self, buf: bytearray, began: float, extra: str, truncated: bool,
                   incomplete: bool = False) -> Result:
        """Ctrl-C the command as a reader would; if the shell does not come back, it is gone."""
        for key in ("c", "c", "\\"):
            self.child.sendcontrol(key)
            stop = time.monotonic() + 2
            while time.monotonic() < stop:
                m = self.marker.search(buf)
                if m:
                    out = _decode(self._strip(bytes(buf[: m.start()]))) + extra
                    return Result(out, None, timed_out=not incomplete, truncated=truncated,
                                  seconds=time.monotonic() - began, incomplete=incomplete)
                try:
                    buf += self.child.read_nonblocking(65536, timeout=0.2)
                except pexpect.TIMEOUT:
                    pass
                except pexpect.EOF:
                    break
        self.close()
        return Result(_decode(self._strip(bytes(buf))) + extra, None, timed_out=not incomplete, gone=True,
                      truncated=truncated, seconds=time.monotonic() - began, incomplete=incomplete)

    def _strip(self, out: bytes) -> bytes:
        """The output without the continuation prompts (a reader's PS2 is not output either)."""
        return self.more.sub(b"", out)

    def query(self, command: str, timeout: float = 10) -> str:
        """Run a harness command (not the page's) and return its output, or raise ShellGone."""
        r = self.run(command, timeout)
        if r.gone or r.status is None:
            raise ShellGone("the page's shell is gone")
        return r.output

    def close(self) -> None:
        self.alive = False
        child = self.child
        try:
            # pexpect's close() sleeps 0.1 s, then signals the CLI in steps 0.1 s apart: every page
            # paid a tenth of a second at its end for nothing. Nothing the CLI relays is wanted any
            # more, so kill it and reap it, and close the pty without waiting.
            child.ptyproc.delayafterclose = 0
            if child.isalive():
                child.kill(signal.SIGKILL)
                give_up = time.monotonic() + 5
                while child.isalive() and time.monotonic() < give_up:
                    time.sleep(0.002)
            child.close(force=True)
        except Exception:  # noqa: BLE001 - closing a dead pty may fail in several ways
            pass


def _signals_unblocked() -> None:
    # A shell may be started from the harness's own threads, which block SIGINT and SIGTERM
    # (interrupts.background); the docker CLI must not inherit that mask, or it outlives a stop.
    signal.pthread_sigmask(signal.SIG_SETMASK, set())


def _decode(data: bytes) -> str:
    # Pages may print bytes that are not UTF-8; show them as replacement characters.
    return data.decode("utf-8", errors="replace").replace("\r\n", "\n")
