"""Split a console block into the commands a reader types and what they see.

`$ ` starts a command (optionally after a virtual environment's `(name) `
prefix), `> ` continues it, and every other line up to the next prompt is
that command's expected output.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import PageError

PROMPT = re.compile(r"^(?:\([^()\s]+\) )?\$(?: (?P<cmd>.*)|)$")
CONTINUATION = re.compile(r"^>(?: (?P<more>.*)|)$")


@dataclass
class Command:
    text: str  # what is sent to the shell, continuation lines joined by newlines
    line: int  # page line of the prompt
    expected: list[str] = field(default_factory=list)
    expected_lines: list[int] = field(default_factory=list)  # page line of each expected line
    end_line: int = 0  # page line after which the next command (or the fence) starts


def split_console(body: str, body_lines: list[int], path: str, block_line: int) -> list[Command]:
    commands: list[Command] = []
    lines = body.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    in_command = False
    for text, number in zip(lines, body_lines):
        number = number or block_line
        m = PROMPT.match(text)
        if m:
            cmd = m["cmd"]
            if cmd is None or not cmd.strip():
                raise PageError(path, number, "prompt `$` without a command")
            commands.append(Command(text=cmd, line=number, end_line=number))
            in_command = True
            continue
        c = CONTINUATION.match(text)
        if c and in_command:
            commands[-1].text += "\n" + (c["more"] or "")
            commands[-1].end_line = number
            continue
        if not commands:
            if text.strip():
                raise PageError(path, number, f"console block: {text.strip()!r} comes before the first `$ ` command")
            continue
        in_command = False
        commands[-1].expected.append(text)
        commands[-1].expected_lines.append(number)
        commands[-1].end_line = number
    if not commands:
        raise PageError(path, block_line, "console block with no `$ ` command")
    return commands
