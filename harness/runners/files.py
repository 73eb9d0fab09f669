"""A file block: saved where the reader would save it; a Makefile is checked, a Dockerfile built.

The file is saved through the page's own shell, as the reader's editor would save it: as the
shell's user, with its umask, keeping the mode of a file it replaces. That is also the cheap
way: the engine's put_archive, which the harness used before, re-executes dockerd to unpack
each archive, 40 ms a file. A file the shell cannot save (a folder it may not write, or a file
too big to send through a terminal) goes through put_archive still.
"""
from __future__ import annotations

import base64
import shlex
from pathlib import PurePosixPath

from ..fences import Block
from ..outcome import Outcome, Problem, Reason, plain
from ..page import Page
from ..plan import is_dockerfile, is_makefile
from .common import run, stopped_note, timeout
from .makefiles import check_makefile, expect_broken

SHELL_SAVE_LIMIT = 256 * 1024  # bytes; base64 lines go through the terminal one at a time


def cwd(page: Page) -> str:
    return page.sh().query("pwd", 10).strip().split("\n")[-1]


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
    """Save a file block's content at `target` (absolute), through the shell where it can."""
    shell = page.sh()
    end = f"HB_EOF_{shell.token}"
    if len(content) <= SHELL_SAVE_LIMIT and f"{end}:ok" in shell.query(save_command(target, content, end), 30):
        return
    page.box().write_file(target, content)


def write_file(page: Page, block: Block) -> Outcome:
    assert block.title is not None
    target = str(PurePosixPath(cwd(page)) / block.title)
    earlier = page.written.get(target)
    if earlier and earlier[0] != block.body and not block.options.get("rewrite"):
        return plain(block.line, f"{target} was already written with other content at line {earlier[1]}; "
                                 "mark this block `rewrite` if replacing it is meant", Reason.PAGE)
    save(page, target, block.body.encode())
    page.written[target] = (block.body, block.line)
    directory = str(PurePosixPath(target).parent)
    name = PurePosixPath(target).name
    if is_makefile(block.title):
        return check_makefile(page, block, directory, name)
    if is_dockerfile(block.title) and block.start in page.plan.harness_builds:
        return build_dockerfile(page, block, directory, name)
    if "broken" in block.options:
        return plain(block.line, "option `broken` only applies to Makefiles and Dockerfiles", Reason.PAGE)
    return Outcome()


def build_dockerfile(page: Page, block: Block, directory: str, name: str) -> Outcome:
    """A Dockerfile the page shows but never builds: the harness builds it, so none goes unbuilt."""
    cmd = f"(cd {shlex.quote(directory)} && docker build -q -f {shlex.quote(name)} .) 2>&1"
    result = run(page, cmd, max(timeout(page, block), 300))
    if "broken" in block.options:
        return expect_broken(block, name, result, Reason.DOCKERFILE)
    if result.status != 0:
        return Outcome().add(Problem(block.line, "Dockerfile does not build (the page never builds it, so the "
                                     "harness did)", Reason.DOCKERFILE, command=f"docker build -f {name} .",
                                     status=result.status, expected_status=0, output=result.output,
                                     note=stopped_note(page, result)))
    return Outcome()
