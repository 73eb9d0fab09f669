"""Split a console block into the commands a reader types and what they see.

`$ ` starts a command (optionally after a virtual environment's `(name) `
prefix; a block may choose another prompt with `prompt=`). A `> ` line
continues the command above it only while bash would ask for more input
(bashparse.py decides, with bash's own parser); otherwise it is output, like
every other line up to the next prompt. A command that bash would still wait
on when the next prompt, or the end of the block, comes is an error of the
page: run, it would hang until its timeout.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .bashparse import incomplete
from .errors import PageError

CONTINUATION = re.compile(r"^>(?: (?P<more>.*)|)$")
DEFAULT_PROMPT = "$"


@dataclass
class Command:
    text: str  # what is sent to the shell, continuation lines joined by newlines
    line: int  # page line of the prompt
    expected: list[str] = field(default_factory=list)
    expected_lines: list[int] = field(default_factory=list)  # page line of each expected line
    end_line: int = 0  # page line after which the next command (or the fence) starts


def prompt_pattern(prompt: str = DEFAULT_PROMPT) -> re.Pattern:
    """`PROMPT command`, optionally after an activated virtual environment's `(name) `."""
    return re.compile(r"^(?:\([^()\s]+\) )?" + re.escape(prompt) + r"(?: (?P<cmd>.*)|)$")


def split_console(body: str, body_lines: list[int], path: str, block_line: int,
                  prompt: str = DEFAULT_PROMPT, pasted: bool = False) -> list[Command]:
    """`pasted`: the block is a bash fence, which a reader copies and pastes, so a line without
    `> ` also continues a command that bash still waits on (pasted, it does); a console
    block shows the terminal, where every such line has its `> `."""
    commands: list[Command] = []
    lines = body.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    starts = prompt_pattern(prompt)
    open_command = False  # bash would wait for more of the last command
    for text, number in zip(lines, body_lines, strict=False):
        number = number or block_line
        if open_command:
            c = CONTINUATION.match(text)
            if not c and (not pasted or starts.match(text)):
                raise _incomplete(path, commands[-1])
            commands[-1].text += "\n" + ((c["more"] or "") if c else text)
            commands[-1].end_line = number
            open_command = incomplete(commands[-1].text)
            continue
        m = starts.match(text)
        if m:
            cmd = m["cmd"]
            if cmd is None or not cmd.strip():
                raise PageError(path, number, f"prompt `{prompt}` without a command")
            commands.append(Command(text=cmd, line=number, end_line=number))
            open_command = incomplete(cmd)
            continue
        if not commands:
            if text.strip():
                raise PageError(path, number, f"console block: {text.strip()!r} comes before the first "
                                f"`{prompt} ` command")
            continue
        commands[-1].expected.append(text)
        commands[-1].expected_lines.append(number)
        commands[-1].end_line = number
    if open_command:
        raise _incomplete(path, commands[-1])
    if not commands:
        raise PageError(path, block_line, f"console block with no `{prompt} ` command")
    return commands


def _incomplete(path: str, command: Command) -> PageError:
    return PageError(path, command.line, f"the command is incomplete: bash waits for more input after line "
                     f"{command.end_line} (an open quote or bracket, a trailing `\\` or `|`, a loop without "
                     "`done`, a here-document without its end); a line that continues a command starts with `> `")
