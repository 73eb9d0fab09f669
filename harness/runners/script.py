"""A bash block: sourced in the page's shell, so what it sets stays for the blocks after it."""
from __future__ import annotations

from ..console import DEFAULT_PROMPT, prompt_pattern
from ..fences import Block
from ..options import status_ok
from ..outcome import Outcome, Problem, Reason, plain
from ..page import Page
from ..plan import RUNS_MAKE
from .common import run, stopped_note, timeout, write_script
from .makefiles import pending_checks


def script(page: Page, block: Block) -> Outcome:
    prompt = block.options.get("prompt", page.plan.options.get("prompt", DEFAULT_PROMPT))
    shown = [prompt_pattern(prompt).match(line.rstrip()) for line in block.body.split("\n") if line.strip()]
    if shown and all(m and not (m["cmd"] or "").strip() for m in shown):
        # a lesson showing what a prompt looks like: bash would say "$: command not found"
        return plain(block.line, f"the block shows only a prompt (`{prompt}`), no command to run; "
                                 "a block that only illustrates says so: <!-- test: skip=\"shows the prompt\" -->",
                     Reason.PAGE)
    path = write_script(page, block.body)
    out = Outcome()
    if page.make_checks and RUNS_MAKE.search(block.body):
        out.add(*pending_checks(page, f"before the page first runs make, in the block at line {block.line}"))
    result = run(page, f"source {path}", timeout(page, block))
    out.seconds += result.seconds
    want = block.options.get("exit", 0)
    note = stopped_note(page, result)
    if note or not status_ok(want, result.status):
        out.add(Problem(block.line, "script failed", Reason.UNFINISHED if note else Reason.EXIT,
                        command=f"(the {block.lang} block)", status=result.status, expected_status=want,
                        output=result.output, note=note))
    return out
