"""Failure messages explain exit statuses honestly, and show the diff with a wrong status."""
import pytest

from harness import report


@pytest.mark.parametrize("status", [129, 255, 138, 200])
def test_a_plain_exit_status_above_128_is_not_blamed_on_a_signal(status):
    # `git config -h` exits 129 and ssh 255 of their own accord
    text = report.failure("docs/x.md:3", "unexpected exit status", status=status, expected_status=0)
    assert "signal" not in text, text
    assert f"exit status: {status} (expected 0)" in text


@pytest.mark.parametrize("status, name", [(137, "SIGKILL"), (139, "SIGSEGV"), (143, "SIGTERM"), (134, "SIGABRT")])
def test_a_status_a_signal_usually_causes_says_probably_that_signal(status, name):
    text = report.failure("docs/x.md:3", "unexpected exit status", status=status, expected_status=0)
    assert f"probably killed by signal {status - 128}, {name}" in text, text


def test_a_wrong_exit_status_comes_with_the_output_diff():
    text = report.failure("docs/x.md:3", "unexpected exit status", command="grep -c x data.txt", status=1,
                          expected_status=0, output="0\n", expected=["2"], actual=["0"])
    assert "exit status: 1 (expected 0)" in text
    assert "-2\n    +0" in text, text


def test_a_wrong_exit_status_with_the_expected_output_shows_that_output():
    text = report.failure("docs/x.md:3", "unexpected exit status", status=1, expected_status=0,
                          output="fine\n", expected=["fine"], actual=["fine"])
    assert "output differs" not in text
    assert "output (last lines):\n    fine" in text
