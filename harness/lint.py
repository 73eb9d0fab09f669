"""Check that pages parse, without running anything: fast enough for a pre-commit hook.

Usage: python -m harness.lint PAGE.md [...]. Prints `page:line: problem` for each page that
the harness could not run, and exits 1 if there was any.
"""
from __future__ import annotations

import sys
from pathlib import Path

from .errors import PageError
from .loader import load

ROOT = Path(__file__).resolve().parent.parent


def problems(path: Path) -> list[str]:
    try:
        load(path, str(path), [ROOT / "snippets"])
    except PageError as e:
        return [str(e)]
    return []


def main(argv: list[str]) -> int:
    found = [p for arg in argv for p in problems(Path(arg))]
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
