"""Ask bash whether a command is complete, or whether it would wait for more input.

A console block's `> ` line is either a continuation of the command above it or a line of
its output that happens to start with `> ` (a quoted e-mail, `git log` of a quote, a prompt
printed by a program). Only bash's own parser knows which: a line continues a command
exactly when bash, having read the command so far, asks for more (prints PS2). Guessing
from the text (quotes, `\\`, here-documents, `do` ... `done`) goes wrong, and one wrong
guess shifts every later result on the page by one command. So the plan asks the host's
bash, in syntax-check mode (`bash -n`), which never runs anything; the page's shell
checks the same at run time (see shell.py), so a difference between the two cannot
shift the results either.

Asking costs a bash process, about 2 ms, and the handbook has some 400 such
commands: every xdist worker paid most of a second for them while it
collected the pages, before its first page could start. So the answers are
kept in a file (`remember_in`), keyed by the text and by the bash binary that
gave them, and read back by the next run.
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

# `bash -n` reports these when the text ends inside an unfinished construct (LC_ALL=C).
WANTS_MORE = ("unexpected end of file", "unexpected EOF")
# Most commands are one plain line (`ls -l data`, `git add x.py`): no quoting, grouping,
# redirection or reserved word, so nothing can be left open. Those skip the subprocess.
PLAIN = re.compile(r"[A-Za-z0-9_./=:,@%+ -]*")
RESERVED = {"if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done", "case", "esac",
            "select", "function", "in", "time", "coproc"}


_store: Path | None = None  # where answers are kept between runs
_answers: dict[str, bool] = {}  # key -> answer, from the store and from this process
_new = False  # this process found answers the store lacks
_used: set[str] = set()  # keys this process looked up
KEEP = 20000  # answers a store holds at most: past that, only those the last run used stay


@functools.cache
def _bash_identity() -> str:
    """Which bash answers: another bash may parse differently, so its answers are kept apart."""
    path = shutil.which("bash") or "bash"
    try:
        st = os.stat(path)
    except OSError:
        return path
    return f"{os.path.realpath(path)}:{st.st_size}:{int(st.st_mtime)}"


def _key(text: str) -> str:
    return hashlib.sha256(f"{_bash_identity()}\0{text}".encode()).hexdigest()[:32]


def remember_in(store: Path) -> None:
    """Keep answers in `store` (a JSON file), and use those already there."""
    global _store
    _store = store
    try:
        found = json.loads(store.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if isinstance(found, dict):
        _answers.update({k: v for k, v in found.items() if isinstance(v, bool)})


def save() -> None:
    """Write the answers back, when this process found new ones (atomically: workers save at once)."""
    if _store is None or not _new:
        return
    try:
        _store.parent.mkdir(parents=True, exist_ok=True)
        tmp = _store.with_name(f"{_store.name}.{os.getpid()}.tmp")
        kept = _answers if len(_answers) <= KEEP else {k: v for k, v in _answers.items() if k in _used}
        tmp.write_text(json.dumps(kept, sort_keys=True), encoding="utf-8")
        tmp.replace(_store)
    except OSError:
        pass  # only a cache: the next run asks bash again


@functools.lru_cache(maxsize=8192)
def incomplete(text: str) -> bool:
    """True when bash, after reading `text` and a newline, would ask for another line."""
    if "\n" not in text and PLAIN.fullmatch(text) and not RESERVED & set(text.split()):
        return False
    global _new
    key = _key(text)
    _used.add(key)
    if key not in _answers:
        _answers[key] = _ask(text)
        _new = True
    return _answers[key]


def _ask(text: str) -> bool:
    ok, errors = _check(text + "\n")
    if not ok:
        # Unfinished quotes, `$(`, `if` without `fi` fail at end of file; any other
        # error is a complete command with a syntax error, which bash reports at once.
        return any(sign in errors for sign in WANTS_MORE)
    if "<<" not in text and not text.endswith("\\"):
        return False
    # A here-document without its end, or a trailing backslash, parses alone (bash -n
    # only warns); inside `{ ... }` either one swallows the closing brace.
    return not _check("{\n" + text + "\n}\n")[0]


def _check(script: str) -> tuple[bool, str]:
    proc = subprocess.run(["bash", "--norc", "--noprofile", "-n"], input=script.encode(), capture_output=True,
                          env={**os.environ, "LC_ALL": "C"}, timeout=30)
    return proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
