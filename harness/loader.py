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

PAGE_COMMENT = re.compile(r"<!--\s*test-page:(?P<body>.*?)-->", re.S)


def decode(raw: bytes, name: str) -> str:
    """The page's text, or a PageError at the line of the first byte that is not UTF-8."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise PageError(name, line, f"page is not UTF-8 ({e.reason} at byte {e.start})") from None


def page_options(text: str, name: str) -> dict:
    """The options of `<!-- test-page: ... -->`; a page has at most one such comment."""
    found = list(PAGE_COMMENT.finditer(text))
    if len(found) > 1:
        line = text.count("\n", 0, found[1].start()) + 1
        raise PageError(name, line, "a page has at most one `<!-- test-page: ... -->` comment")
    if not found:
        unclosed = re.search(r"<!--\s*test-page:", text)
        if unclosed:
            line = text.count("\n", 0, unclosed.start()) + 1
            raise PageError(name, line, "page option comment `<!-- test-page:` is never closed with `-->`")
        return {}
    line = text.count("\n", 0, found[0].start()) + 1
    return parse_options(" ".join(found[0]["body"].split()), name, line, spec=PAGE_SPEC)


def plan_text(text: str, name: str, snippet_dirs: list[Path]) -> Plan:
    """Parse and plan a page's text; a PageError names the page and line."""
    options = page_options(text, name)
    return plan_page(parse_page(text, name, snippet_dirs=snippet_dirs), name, options)


def load(path: Path, name: str, snippet_dirs: list[Path]) -> tuple[str, Plan]:
    """Read, decode, parse and plan the page at `path` (reported as `name`)."""
    text = decode(path.read_bytes(), name)
    return text, plan_text(text, name, snippet_dirs)
