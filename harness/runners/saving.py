"""Files saved through the page's own shell: file blocks, and the scripts of `bash` blocks.

Saved as the reader's editor would save them: as the shell's user, with its umask, keeping
the mode of a file they replace. That is also the cheap way: the engine's put_archive
re-executes dockerd to unpack each archive, 40 ms a file, where the shell takes 8 ms. A file
the shell cannot save (a folder it may not write, or a file too big to send through a
terminal) goes through put_archive still.
"""
from __future__ import annotations

import base64
import shlex

from ..page import Page

SHELL_SAVE_LIMIT = 256 * 1024  # bytes; base64 lines go through the terminal one at a time


def save_command(name: str, content: bytes, end: str) -> str:
    """A command that saves `content` at `name` (relative to the shell's folder, or absolute) and
    says `<end>:ok` when it did. Never fails, so a page's `set -e` cannot end its shell; `command`
    and `>|` get past the page's functions, aliases and noclobber. Base64 lines never hold `_`,
    so `end` cannot end the here-document early."""
    q = shlex.quote(name)
    return (f'if {{ command mkdir -p -- "$(command dirname -- {q})" && command base64 -d >| {q}; }} '
            f"2>/dev/null <<'{end}'\n{base64.encodebytes(content).decode()}{end}\n"
            f"then builtin echo {end}:ok; fi")


def save(page: Page, target: str, content: bytes) -> None:
    """Save `content` at `target` (absolute), through the shell where it can."""
    shell = page.sh()
    end = f"HB_EOF_{shell.token}"
    if len(content) <= SHELL_SAVE_LIMIT and f"{end}:ok" in shell.query(save_command(target, content, end), 30):
        return
    page.box().write_file(target, content)
