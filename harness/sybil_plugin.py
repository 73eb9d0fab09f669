"""Sybil wiring: each page becomes a Document whose regions are its blocks.

Parsing happens here, at collection time, so a page that cannot be parsed
(not UTF-8, an unterminated fence, an unknown option) becomes one failing
example that names the page and line, and the other pages still run.
"""
from __future__ import annotations

from pathlib import Path

from sybil import Document, Region, Sybil

from .errors import PageError
from .evaluate import Page, Settings, evaluate, page_name
from .loader import decode, plan_text

PAGE_KEY = "__handbook_page__"


def _report_error(message: str):
    def evaluator(example):
        return message
    return evaluator


class HandbookDocument(Document):
    @classmethod
    def parse(cls, path: str, *parsers, encoding: str = "utf-8") -> Document:
        name = page_name(path)
        try:
            text = decode(Path(path).read_bytes(), name)
        except PageError as e:
            doc = cls("", path)
            doc.add(Region(0, 0, None, _report_error(str(e))))
            return doc
        doc = cls(text, path)
        try:
            plan = plan_text(text, name, [Settings.root / "snippets"], Path(path).parent)
        except PageError as e:
            offset = _offset_of_line(text, e.line)
            doc.add(Region(offset, offset, None, _report_error(str(e))))
            return doc
        doc.namespace[PAGE_KEY] = Page(path, plan)
        for block in plan.blocks:
            if block.kind == "display" and "skip" not in block.options:
                continue
            doc.add(Region(block.start, block.end, block, _evaluate))
        return doc


def _offset_of_line(text: str, line: int) -> int:
    offset = 0
    for _ in range(line - 1):
        nxt = text.find("\n", offset)
        if nxt < 0:
            break
        offset = nxt + 1
    return offset


def _evaluate(example) -> str:
    page: Page = example.namespace[PAGE_KEY]
    return evaluate(page, example.parsed)


def _teardown(namespace: dict) -> None:
    page: Page | None = namespace.get(PAGE_KEY)
    if page is not None:
        problems = page.finish()
        if problems:
            raise AssertionError("at the end of the page:\n" + "\n\n".join(problems))


def make_sybil() -> Sybil:
    return Sybil(
        parsers=[],
        patterns=["*.md"],
        path="/",
        teardown=_teardown,
        document_types={".md": HandbookDocument},
        name="page",
    )
