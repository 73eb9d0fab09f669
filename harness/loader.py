"""Read a page into the plan the harness runs: one way, for every caller.

The Sybil plugin, `harness.lint`, the site's stamps and the benchmarks all
ask "what are this page's examples, and what does the page need?". They
must get the same answer, so they all load pages here: decode, parse the
fences, read the page's own options, plan.
"""
from __future__ import annotations

import re
from pathlib import Path

from .errors import PageError
from .fences import parse_page
from .options import PAGE_SPEC, parse_options
from .plan import Plan, plan_page

# At the start of a line, outside fences: a page that shows the comment (in `code`, or in a
# fenced example of how to write one) must not get those options itself.
PAGE_COMMENT = re.compile(r"^[ \t]*<!--\s*test-page:(?P<body>.*?)-->", re.S | re.M)
UNCLOSED = re.compile(r"^[ \t]*<!--\s*test-page:", re.M)


def decode(raw: bytes, name: str) -> str:
    """The page's text, or a PageError at the line of the first byte that is not UTF-8."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise PageError(name, line, f"page is not UTF-8 ({e.reason} at byte {e.start})") from None


def page_options(text: str, name: str, page_dir: Path | None = None) -> dict:
    """The options of `<!-- test-page: ... -->`; a page has at most one such comment.

    With the page's folder, `files=` names are checked and resolved to the files to copy."""
    found = list(PAGE_COMMENT.finditer(text))
    if len(found) > 1:
        line = text.count("\n", 0, found[1].start()) + 1
        raise PageError(name, line, "a page has at most one `<!-- test-page: ... -->` comment")
    if not found:
        unclosed = UNCLOSED.search(text)
        if unclosed:
            line = text.count("\n", 0, unclosed.start()) + 1
            raise PageError(name, line, "page option comment `<!-- test-page:` is never closed with `-->`")
        return {}
    line = text.count("\n", 0, found[0].start()) + 1
    options = parse_options(" ".join(found[0]["body"].split()), name, line, spec=PAGE_SPEC)
    if "files" in options and page_dir is not None:
        options["files"] = data_files(options["files"], page_dir, name, line)
    return options


def data_files(names: tuple[str, ...], page_dir: Path, name: str, line: int) -> tuple[tuple[str, Path], ...]:
    """(name in the working directory, file on this machine) for each `files=` name.

    Names are relative to the page, and stay inside its folder: a page must not be able
    to copy ~/.ssh or /etc into a sandbox whose output ends up in a report."""
    folder = page_dir.resolve()
    found = []
    for rel in names:
        target = (folder / rel).resolve()
        if Path(rel).is_absolute() or not target.is_relative_to(folder):
            raise PageError(name, line, f"data file {rel!r} is outside the page's folder: "
                                        "name files beside the page, relative to it")
        if not target.is_file():
            what = "is a folder: name its files" if target.is_dir() else "does not exist"
            raise PageError(name, line, f"data file {rel!r} {what} (looked for {target})")
        found.append((target.relative_to(folder).as_posix(), target))
    return tuple(found)


def plan_text(text: str, name: str, snippet_dirs: list[Path], page_dir: Path | None = None) -> Plan:
    """Parse and plan a page's text; a PageError names the page and line."""
    blocks = parse_page(text, name, snippet_dirs=snippet_dirs)
    options = page_options(_without_blocks(text, blocks), name, page_dir)
    return plan_page(blocks, name, options)


def _without_blocks(text: str, blocks) -> str:
    """The page with its fenced blocks blanked out, lines kept (errors cite line numbers)."""
    for b in blocks:
        text = text[:b.start] + re.sub(r"[^\n]", " ", text[b.start:b.end]) + text[b.end:]
    return text


def load(path: Path, name: str, snippet_dirs: list[Path]) -> tuple[str, Plan]:
    """Read, decode, parse and plan the page at `path` (reported as `name`)."""
    text = decode(path.read_bytes(), name)
    return text, plan_text(text, name, snippet_dirs, path.parent)
