"""A file block: saved where the reader would save it; a Makefile is checked, a Dockerfile built.

The file is saved through the page's own shell, as the reader's editor would save it
(saving.py).
"""
from __future__ import annotations

import shlex
from pathlib import PurePosixPath

from ..fences import Block
from ..outcome import Outcome, Problem, Reason, plain
from ..page import Page
from ..plan import is_dockerfile, is_makefile
from .common import run, stopped_note, timeout
from .makefiles import check_makefile, expect_broken
from .saving import save


def cwd(page: Page) -> str:
    return page.sh().query("pwd", 10).strip().split("\n")[-1]


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
