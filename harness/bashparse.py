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
"""
from __future__ import annotations

import functools
import os
import re
import subprocess

# `bash -n` reports these when the text ends inside an unfinished construct (LC_ALL=C).
WANTS_MORE = ("unexpected end of file", "unexpected EOF")
# Most commands are one plain line (`ls -l data`, `git add x.py`): no quoting, grouping,
# redirection or reserved word, so nothing can be left open. Those skip the subprocess.
PLAIN = re.compile(r"[A-Za-z0-9_./=:,@%+ -]*")
RESERVED = {"if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done", "case", "esac",
            "select", "function", "in", "time", "coproc"}


@functools.lru_cache(maxsize=8192)
def incomplete(text: str) -> bool:
    """True when bash, after reading `text` and a newline, would ask for another line."""
    if "\n" not in text and PLAIN.fullmatch(text) and not RESERVED & set(text.split()):
        return False
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
