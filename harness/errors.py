"""The one error type a page can cause: it always names the page and line."""
from __future__ import annotations


class PageError(Exception):
    """A problem in a page's source, reported as `page:line: message`."""

    def __init__(self, path: str, line: int, message: str):
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line
        self.message = message
