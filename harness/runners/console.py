"""Console sessions: what the reader types after a prompt, and what each command prints.

Three shapes on a page: a ```console fence of `$ ` commands with their output;
a ```bash fence of `$ ` commands alone, whose output the page does not show;
and a ```bash block followed by an ```output (or ```error) fence holding all
that it prints.
"""
from __future__ import annotations

from ..fences import Block
from ..matching import matches, normalize, normalize_expected, updated
from ..options import NONZERO, status_ok
from ..outcome import Edit, Outcome, Problem, Reason
from ..page import Page
from ..plan import RUNS_MAKE
from .common import loose, run, stopped_note, timeout, write_script
from .makefiles import pending_checks


def typed(page: Page, block: Block) -> Outcome:
    """A bash fence of `$ ` commands with no output fence: a console session whose commands
    show no output of their own unless the fence shows it, so only shown output is compared."""
    return console(page, block, unshown=True)


def console(page: Page, block: Block, unshown: bool = False) -> Outcome:
    """`unshown`: a command the page shows no output for may print anything (not compared)."""
    commands = page.plan.commands[block.start]
    expected_exit = block.options.get("exit", 0)
    deadline = timeout(page, block)
    ws = loose(page, block)
    out = Outcome()
    for n, cmd in enumerate(commands):
        want = expected_exit if n == len(commands) - 1 else 0
        if page.make_checks and RUNS_MAKE.search(cmd.text):
            out.add(*pending_checks(page, f"before the page first runs make, at line {cmd.line}"))
        result = run(page, cmd.text, deadline, typed=True)
        out.seconds += result.seconds
        deadline = max(1.0, deadline - result.seconds)
        actual = normalize(result.output)
        expected = normalize_expected(cmd.expected)
        note = stopped_note(page, result)
        compared = bool(cmd.expected) or not unshown
        if page.ctx.update and compared and not (result.timed_out or result.gone):
            new = updated(expected, actual, ws)
            if new != expected:
                first = cmd.expected_lines[0] if cmd.expected_lines else cmd.end_line + 1
                last = cmd.expected_lines[-1] if cmd.expected_lines else cmd.end_line
                out.edits.append(Edit(first, last, tuple(new), block.indent))
                expected = new
        if note or not status_ok(want, result.status):
            # with the diff too (when the command finished): one run shows all that is wrong
            out.add(Problem(cmd.line, "command did not finish" if note else "unexpected exit status",
                            Reason.UNFINISHED if note else Reason.EXIT, command=cmd.text, status=result.status,
                            expected_status=want, output=result.output, note=note,
                            expected=None if note or not compared else tuple(expected), actual=tuple(actual),
                            loose=ws))
            break
        if compared and not matches(expected, actual, ws):
            out.add(Problem(cmd.line, "output differs from the page", Reason.OUTPUT, command=cmd.text,
                            expected=tuple(expected), actual=tuple(actual), loose=ws))
            if not page.ctx.update:
                break
    return out


def session(page: Page, block: Block) -> Outcome:
    """A bash block and the ```output (or ```error) fence after it: the fence is all the block prints.

    The block is a script, or commands after `$ ` prompts (each must succeed but the last,
    whose status `error`, or `exit=`, decides). `error` means a non-zero exit is expected.
    """
    shown = block.output
    assert shown is not None
    want = block.options.get("exit", NONZERO if shown.lang == "error" else 0)
    ws = loose(page, block)
    out = Outcome()
    if page.make_checks and RUNS_MAKE.search(block.body):
        out.add(*pending_checks(page, f"before the page first runs make, in the block at line {block.line}"))
    commands = page.plan.commands.get(block.start)
    if commands is None:
        steps = [(f"source {write_script(page, block.body)}", f"(the {block.lang} block)", block.line, False)]
    else:
        steps = [(c.text, c.text, c.line, True) for c in commands]
    body = shown.body.split("\n")[:-1] if shown.body else []
    expected = normalize_expected(body)
    deadline = timeout(page, block)
    printed = []
    for n, (text, shown_as, line, is_typed) in enumerate(steps):
        wanted = want if n == len(steps) - 1 else 0
        result = run(page, text, deadline, typed=is_typed)
        out.seconds += result.seconds
        deadline = max(1.0, deadline - result.seconds)
        printed.append(result.output)
        note = stopped_note(page, result)
        if note or not status_ok(wanted, result.status):
            # with the fence's diff once the whole block ran: one run shows all that is wrong
            whole = not note and n == len(steps) - 1
            return out.add(Problem(line, "command did not finish" if note else "unexpected exit status",
                                   Reason.UNFINISHED if note else Reason.EXIT, command=shown_as,
                                   status=result.status, expected_status=wanted, output=result.output,
                                   note=note, loose=ws, expected=tuple(expected) if whole else None,
                                   actual=tuple(normalize("".join(printed))) if whole else None))
    actual = normalize("".join(printed))
    if not matches(expected, actual, ws):
        if page.ctx.update and all(shown.body_lines):
            first = shown.body_lines[0] if body else shown.line + 1
            last = shown.body_lines[-1] if body else shown.line
            out.edits.append(Edit(first, last, tuple(updated(expected, actual, ws)), shown.indent))
        out.add(Problem(shown.line, f"output differs from the ```{shown.lang} fence", Reason.OUTPUT,
                        command=f"(the {block.lang} block at line {block.line})", expected=tuple(expected),
                        actual=tuple(actual), loose=ws))
    return out
