"""The process watch after a block: a server left running is let go at once, a runaway is caught (no Docker)."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness import limits


class Looks:
    """The counts a block's later looks find, and the pauses taken before them."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, counts: Iterator[int]):
        self.counts, self.pauses = counts, []
        monkeypatch.setattr(limits.time, "sleep", self.pauses.append)

    def __call__(self) -> int | None:
        return next(self.counts)


def test_a_block_that_left_a_server_is_let_go_at_the_first_look(monkeypatch: pytest.MonkeyPatch) -> None:
    looks = Looks(monkeypatch, iter([12]))
    assert limits.runaway(10, 12, 1000, looks) is None
    assert looks.pauses == [limits.FIRST_LOOK]


def test_a_process_still_exiting_is_let_go_at_the_first_look(monkeypatch: pytest.MonkeyPatch) -> None:
    looks = Looks(monkeypatch, iter([10]))
    assert limits.runaway(10, 11, 1000, looks) is None
    assert len(looks.pauses) == 1


def test_a_count_that_keeps_growing_is_a_runaway(monkeypatch: pytest.MonkeyPatch) -> None:
    looks = Looks(monkeypatch, iter(range(20, 1000, 10)))
    assert limits.runaway(10, 12, 1000, looks) == 80  # the first count more than RUNAWAY above 10
    assert looks.pauses == [limits.FIRST_LOOK * 2**n for n in range(len(looks.pauses))]


def test_a_count_near_the_sandbox_limit_is_a_runaway_without_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    looks = Looks(monkeypatch, iter([]))
    assert limits.runaway(10, 190, 200, looks) == 190
    assert looks.pauses == []


def test_slow_growth_is_watched_for_the_whole_second_then_let_go(monkeypatch: pytest.MonkeyPatch) -> None:
    looks = Looks(monkeypatch, iter(range(12, 1000)))  # one more process at every look: never past RUNAWAY
    assert limits.runaway(10, 11, 1000, looks) is None
    assert sum(looks.pauses) == pytest.approx(limits.WATCH_SECONDS)
    assert len(looks.pauses) < 10  # the looks double: a handful, not one every few milliseconds


def test_an_unreadable_count_keeps_the_last_one(monkeypatch: pytest.MonkeyPatch) -> None:
    looks = Looks(monkeypatch, iter([None]))  # type: ignore[list-item]
    assert limits.runaway(10, 12, 1000, looks) is None
