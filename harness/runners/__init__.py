"""One runner per kind of block; each returns an Outcome and renders nothing.

  console.py   `$ ` sessions (console fences, typed bash fences) and bash+output pairs
  script.py    bash scripts, sourced in the page's shell
  files.py     file blocks: written where the reader would save them; Dockerfiles built
  makefiles.py Makefiles shown: parsed now, dry-run before the page first runs make
  python.py    Python blocks in the page's persistent interpreter, with their `#>` checks
  common.py    what they share: running a command with the page's limits, why it stopped
"""
from __future__ import annotations

from collections.abc import Callable

from ..fences import Block
from ..outcome import Outcome
from ..page import Page
from .console import console, session, typed
from .files import write_file
from .python import python
from .script import script

Runner = Callable[[Page, Block], Outcome]

RUNNERS: dict[str, Runner] = {"console": console, "typed": typed, "session": session, "bash": script,
                              "file": write_file, "python": python}


def kind_of(page: Page, block: Block) -> str:
    """Which runner a block goes to: a bash fence is a session, typed commands, or a script."""
    if block.kind == "bash" and block.output is not None:
        return "session"
    if block.kind == "bash" and block.start in page.plan.commands:
        return "typed"  # `$ ` commands and no output fence
    return block.kind
