"""Start the next page's sandbox while this page runs.

A sandbox takes a second or two to start, and a nested engine with its seed
several more; a worker that waits for them between pages idles. When a page
begins, its worker looks at the items queued for it, finds the next page, and
starts that page's sandbox (and engine) in the background. The queue is
pytest-xdist's own (not a public interface): when it cannot be read, nothing
is started ahead and pages start as before.
"""
from __future__ import annotations

from typing import Any

import pytest

from .dispatch import prepare
from .page import Page
from .sybil_plugin import PAGE_KEY


def page_of(item: pytest.Item) -> Page | None:
    example = getattr(item, "example", None)
    page = example.namespace.get(PAGE_KEY) if example is not None else None
    return page if isinstance(page, Page) else None


def queued(item: pytest.Item) -> list[pytest.Item]:
    """The items this process will run after `item`, as far as it knows them."""
    items = item.session.items
    interactor = next((p for p in item.config.pluginmanager.get_plugins()
                       if type(p).__name__ == "WorkerInteractor"), None)
    if interactor is None:  # no xdist: the session runs its items in order
        try:
            return list(items[items.index(item) + 1:])
        except ValueError:
            return []
    try:
        nxt: Any = interactor.nextitem_index
        with interactor.torun.lock() as pending:
            indices = [nxt, *pending]
        return [items[i] for i in indices if isinstance(i, int)]
    except (AttributeError, TypeError, IndexError):
        return []


def start_next(item: pytest.Item) -> None:
    """Start the sandbox of the next page queued here, once per page, as soon as one is queued.

    A notebook is one item and has no sandbox of its own here: while it runs, the page after
    it starts too (starting twice is a no-op), or that page would start cold after it."""
    page = page_of(item)
    if page is not None and page.looked_ahead:
        return
    for later in queued(item):
        other = page_of(later)
        if other is not None and other is not page:
            if page is not None:
                page.looked_ahead = True
            prepare(other)  # a GPU page's sandbox is made as its first block would make it
            other.prestart()
            return
