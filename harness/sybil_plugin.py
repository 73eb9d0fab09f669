"""Sybil wiring: each page becomes a Document whose regions are its blocks.

Parsing happens here, at collection time, so a page that cannot be parsed
(not UTF-8, an unterminated fence, an unknown option) becomes one failing
example that names the page and line, and the other pages still run. Each
example's outcome is kept in the page's namespace for the results file
(pytest_plugin writes it), and rendered into the test's message here.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, cast

import pytest
from sybil import Document, Example, Region, Sybil

from . import dispatch
from .context import RunContext
from .errors import PageError
from .loader import decode, plan_text
from .outcome import FAILED, SKIPPED, Outcome, Reason, plain
from .page import Page
from .record import block_record
from .report import render
from .runners import kind_of

PAGE_KEY = "__handbook_page__"
NAME_KEY = "__handbook_name__"
RECORDS = "__handbook_records__"  # example start -> its results-file record, until pytest_plugin writes it
END = "__handbook_end__"  # the page's end (teardown blocks, timings): its record


class PageLoader:
    """Sybil's document type for a page: knows the run it belongs to."""

    def __init__(self, ctx: RunContext):
        self.ctx = ctx

    def parse(self, path: str, *parsers: Any, encoding: str = "utf-8") -> Document:
        name = self.ctx.page_name(path)
        try:
            text = decode(Path(path).read_bytes(), name)
        except PageError as e:
            return _broken(Document("", path), name, e, 0)
        doc = Document(text, path)
        doc.namespace[NAME_KEY] = name
        doc.namespace[RECORDS] = {}
        try:
            plan = plan_text(text, name, [self.ctx.snippets], Path(path).parent)
        except PageError as e:
            return _broken(doc, name, e, _offset_of_line(text, e.line))
        doc.namespace[PAGE_KEY] = Page(path, plan, self.ctx, name=name)
        for block in plan.blocks:
            if block.kind == "display" and "skip" not in block.options:
                continue
            doc.add(Region(block.start, block.end, block, _evaluate))
        return doc


def _broken(doc: Document, name: str, error: PageError, offset: int) -> Document:
    """A page that cannot be read or planned: one example that fails with page:line."""
    doc.namespace[NAME_KEY] = name
    doc.namespace.setdefault(RECORDS, {})
    outcome = plain(error.line, error.message, Reason.PAGE)

    def evaluator(example: Example) -> str:
        return _report(example, error.line, "page-error", outcome)

    doc.add(Region(offset, offset, None, evaluator))
    return doc


def _offset_of_line(text: str, line: int) -> int:
    offset = 0
    for _ in range(line - 1):
        nxt = text.find("\n", offset)
        if nxt < 0:
            break
        offset = nxt + 1
    return offset


def _report(example: Example, line: int, kind: str, outcome: Outcome, wall: float = 0.0) -> str:
    """Keep the outcome for the results file; tell pytest: a skip, a failure's message, or ""."""
    name = example.namespace[NAME_KEY]
    example.namespace[RECORDS][example.start] = block_record(name, line, kind, outcome, wall=round(wall, 4))
    if outcome.status == SKIPPED:
        pytest.skip(render(outcome, name, line))
    return render(outcome, name, line) if outcome.status == FAILED else ""


def _evaluate(example: Example) -> str:
    page: Page = example.namespace[PAGE_KEY]
    block = example.parsed
    began = time.monotonic()
    outcome = dispatch.evaluate(page, block)
    return _report(example, block.line, kind_of(page, block), outcome, time.monotonic() - began)


def _teardown(namespace: dict[str, Any]) -> None:
    page: Page | None = namespace.get(PAGE_KEY)
    if page is None:
        return
    outcome = dispatch.finish(page)
    namespace[END] = block_record(page.name, 0, "page", outcome, timings=getattr(page, "last_timings", {}))
    if outcome.problems:
        raise AssertionError("at the end of the page:\n" + render(outcome, page.name))


def make_sybil(ctx: RunContext) -> Sybil:
    return Sybil(
        parsers=[],
        patterns=["*.md"],
        path="/",
        teardown=_teardown,
        document_types={".md": cast(type[Document], PageLoader(ctx))},
        name="page",
    )
