"""Failure output and comparisons see what a reader's terminal shows, not the bytes drawn to get there."""
from harness import report
from harness.matching import normalize
from harness.terminal import render, show_tabs

# What `docker build` (BuildKit) writes to a terminal: it hides the cursor, draws its steps,
# then moves up over them and redraws them with their timings.
BUILDKIT = (
    "\x1b[?25l[+] Building 0.0s (0/2)\n"
    " => [internal] load build definition from Dockerfile\x1b[33m 0.0s\x1b[0m\n"
    " => [1/1] RUN make\n"
    "\x1b[3A\x1b[0G\x1b[?25l[+] Building 1.2s (2/2) FINISHED\x1b[K\n"
    "\x1b[34m => [internal] load build definition from Dockerfile   0.1s\n\x1b[0m"
    "\x1b[31m => ERROR [1/1] RUN make\x1b[0m\x1b[K\n"
    "\x1b[?25h"
)


def test_buildkit_progress_renders_as_its_final_screen():
    assert normalize(BUILDKIT) == [
        "[+] Building 1.2s (2/2) FINISHED",
        " => [internal] load build definition from Dockerfile   0.1s",
        " => ERROR [1/1] RUN make",
    ]


def test_failure_output_shows_the_screen_without_control_sequences():
    text = report.failure("docs/x.md:3", "script failed", status=1, expected_status=0, output=BUILDKIT)
    assert "\x1b" not in text
    assert " => ERROR [1/1] RUN make" in text
    assert "Building 0.0s" not in text  # drawn over


def test_carriage_returns_erase_and_backspace():
    assert render("Downloading  10%\rDownloading 100%\n") == ["Downloading 100%", ""]
    assert render("abcdef\r\x1b[2Kxy") == ["xy"]
    assert render("abcdef\x1b[3D\x1b[K!") == ["abc!"]
    assert render("ab\bX") == ["aX"]
    assert render("1\n2\n3\x1b[2A\rone\x1b[1B\rtwo") == ["one", "two", "3"]
    assert render("\x1b]0;window title\x07done") == ["done"]


def test_tabs_stay_tabs_until_something_overwrites_them():
    assert render("a\tb") == ["a\tb"]
    assert render("a\tb\r\x1b[C\x1b[CX") == ["a X     b"]  # writing into a TAB turns it into spaces
    assert show_tabs("a\tb") == "a→      b"
    assert show_tabs("12345678\tx") == "12345678→       x"
