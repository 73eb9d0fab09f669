"""Python blocks: run in the page's one interpreter, in order, with their `#>` lines checked.

What a top-level statement prints belongs to the `#>` lines right below it
(read at plan time); printing with no `#>` lines is a failure, so that no
output on the page goes unchecked.
"""
from __future__ import annotations

import time
from collections.abc import Sequence

from ..fences import Block
from ..matching import matches, normalize, normalize_expected, updated
from ..outcome import Edit, Outcome, Problem, Reason, plain
from ..page import Page
from ..pyblocks import PrintCheck, PyRunner, PythonGone
from ..report import tail
from .common import loose, timeout
from .files import cwd


def _interpreter(page: Page) -> PyRunner:
    """The page's Python, started in the shell's directory with the shell's environment."""
    if page.python is None:
        shell = page.sh()
        python = shell.query("command -v python3", 10).strip().split("\n")[-1]
        env = {}
        for line in shell.query("env", 10).split("\n"):
            k, eq, v = line.partition("=")
            if eq and k.isidentifier() and k not in ("PS1", "PROMPT_COMMAND", "_"):
                env[k] = v
        page.python = PyRunner(page.box().live.id, python, cwd(page), env)
    return page.python


def python(page: Page, block: Block) -> Outcome:
    owner, checks = page.plan.prints.get(block.start, ({}, []))
    runner = _interpreter(page)
    began = time.monotonic()
    try:
        answer = runner.run(block.body, f"{page.name}:{block.line}", timeout(page, block))
    except TimeoutError:
        page.python = None
        return plain(block.line, f"Python block timed out after {timeout(page, block):.0f} s (its interpreter "
                                 "was stopped)", Reason.UNFINISHED)
    except PythonGone as e:
        page.python = None
        return plain(block.line, str(e), Reason.UNFINISHED)
    seconds = time.monotonic() - began
    page.examples_seconds += seconds
    raises = block.options.get("raises")
    if answer["error"] and answer["exc_type"] != raises:
        out = Outcome().add(Problem(block.line, "Python block raised an exception", Reason.PYTHON,
                                    output=answer["error"]))
    elif raises and answer["exc_type"] != raises:
        out = plain(block.line, f"expected the block to raise {raises}, but it did not", Reason.PYTHON)
    else:
        out = compare_prints(page, block, owner, checks, answer["prints"])
    out.seconds = seconds
    return out


def compare_prints(page: Page, block: Block, owner: dict[int, int], checks: list[PrintCheck],
                   prints: Sequence[tuple[int, str]]) -> Outcome:
    """What each top-level statement printed against its `#>` lines; edits for update mode."""
    out = Outcome()
    if not checks:
        return out
    printed: dict[int, list[str]] = {}
    for line, text in prints:
        stmt = owner.get(line, line) if line else 0
        printed.setdefault(stmt, []).extend(text.rstrip("\n").split("\n"))
    checked = set()
    code_lines = block.body.split("\n")
    ws = loose(page, block)
    for check in checks:
        checked.add(check.statement_line)
        actual = normalize("\n".join(printed.get(check.statement_line, [])))
        expected = normalize_expected(check.expected)
        if not matches(expected, actual, ws):
            first, last = (block.body_lines[i - 1] for i in (check.expected_lines[0], check.expected_lines[-1]))
            if page.ctx.update and first and last:
                margin = code_lines[check.expected_lines[0] - 1].split("#>")[0]
                out.edits.append(Edit(first, last, print_lines(updated(expected, actual, ws), margin), block.indent))
            out.add(Problem(first or block.line, "printed output differs from the `#>` lines", Reason.PYTHON,
                            expected=tuple(expected), actual=tuple(actual), loose=ws))
    for stmt, lines in printed.items():
        if stmt not in checked and any(text.strip() for text in lines):
            line = block.body_lines[stmt - 1] if 0 < stmt <= len(block.body_lines) else block.line
            if page.ctx.update and line:
                # after the top-level statement's last line, so at the top level's indentation
                out.edits.append(Edit(line + 1, line, print_lines(normalize("\n".join(lines)), ""), block.indent))
            out.add(Problem(line or block.line, "printed output with no `#>` lines below it:\n"
                            + tail("\n".join(lines)), Reason.PYTHON, plain=True))
    return out


def print_lines(lines: list[str], margin: str) -> tuple[str, ...]:
    """Output as `#>` comment lines, at the indentation of the code they belong to."""
    return tuple(f"{margin}#> {text}" if text else f"{margin}#>" for text in lines)
