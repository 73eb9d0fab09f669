"""Check that pages parse, without running anything: fast enough for a pre-commit hook.

Usage: python -m harness.lint PAGE.md [...]. Prints `page:line: problem` for each page that
the harness could not run, and exits 1 if there was any.
"""
from __future__ import annotations

import sys
from pathlib import Path

from .errors import PageError
from .fences import parse_page
from .plan import plan_page

ROOT = Path(__file__).resolve().parent.parent


def problems(path: Path) -> list[str]:
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        return [f"{name}:1: page is not UTF-8 ({e.reason})"]
    try:
        plan_page(parse_page(text, name, snippet_dirs=[ROOT / "snippets"]), name)
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
