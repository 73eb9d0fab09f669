"""What a reader's terminal shows for the bytes a command wrote.

Programs that draw progress (BuildKit, pip, curl, apt) move the cursor,
erase lines and overwrite them with carriage returns. A reader sees only
the final picture, so expected output is compared with that picture, and
failure messages print it instead of raw escape sequences.

The screen here is the command's own output, as tall as it needs to be and
without wrapping: moving the cursor up stops at the command's first line.
TABs stay TABs as long as nothing overwrites them, so that comparisons can
expand them to 8-column stops and diffs can show where they were.
"""
from __future__ import annotations

import re

TAB_STOP = 8
_FILL = ""  # the cells a TAB skipped over: drawn as part of the TAB, they print as nothing

# one token: an escape sequence, a single control character, or a run of text
_TOKEN = re.compile(
    r"\x1b\[(?P<csi>[0-9;:?<=>]*)(?P<final>[ -/]*[@-~])"  # CSI: cursor, erase, colour
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: window title, hyperlinks
    r"|\x1b[()*+].?"  # character set selection
    r"|\x1b(?P<esc>.?)"  # other two-byte escapes (ESC 7, ESC 8, ESC M, ...)
    r"|(?P<ctl>[\x00-\x1f\x7f])"
    r"|(?P<text>[^\x00-\x1f\x7f]+)",
    re.S,
)
_NEEDS_SCREEN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # anything but TAB and newline


def render(text: str) -> list[str]:
    """The lines a terminal shows for `text`, TABs kept where they still stand."""
    if not _NEEDS_SCREEN.search(text):
        return text.split("\n")
    screen = _Screen()
    for m in _TOKEN.finditer(text):
        if m["text"] is not None:
            screen.write(m["text"])
        elif m["ctl"] is not None:
            screen.control(m["ctl"])
        elif m["final"] is not None:
            screen.csi(m["csi"], m["final"])
        elif m["esc"] is not None:
            screen.escape(m["esc"])
    return screen.lines()


class _Screen:
    def __init__(self) -> None:
        self.rows: list[list[str]] = [[]]
        self.row = 0
        self.col = 0
        self.saved = (0, 0)

    # -- drawing -----------------------------------------------------------------
    def _line(self) -> list[str]:
        while self.row >= len(self.rows):
            self.rows.append([])
        return self.rows[self.row]

    def write(self, text: str) -> None:
        line = self._line()
        if self.col > len(line):
            line.extend(" " * (self.col - len(line)))
        end = self.col + len(text)
        covered = line[self.col:end]
        if "\t" not in covered and _FILL not in covered:  # no TAB to break: draw the run at once
            line[self.col:end] = text
            self.col = end
            return
        for ch in text:
            if self.col == len(line):
                line.append(ch)
            else:
                self._break_tab(line, self.col)
                line[self.col] = ch
            self.col += 1

    @staticmethod
    def _break_tab(line: list[str], col: int) -> None:
        """Writing into a TAB's cells turns that TAB into the spaces it stood for."""
        if line[col] not in ("\t", _FILL):
            return
        start = col
        while line[start] == _FILL:
            start -= 1
        line[start] = " "
        end = start + 1
        while end < len(line) and line[end] == _FILL:
            line[end] = " "
            end += 1

    def _tab(self) -> None:
        line = self._line()
        stop = (self.col // TAB_STOP + 1) * TAB_STOP
        if self.col >= len(line):
            # a TAB past the end of the line draws nothing: it is remembered, to be shown
            line.extend(" " * (self.col - len(line)))
            line.append("\t")
            line.extend([_FILL] * (stop - self.col - 1))
        self.col = stop

    def control(self, ch: str) -> None:
        if ch == "\n":
            self.row += 1
            self.col = 0  # the terminal's line discipline turns \n into \r\n
            self._line()
        elif ch == "\r":
            self.col = 0
        elif ch == "\b":
            self.col = max(0, self.col - 1)
        elif ch == "\t":
            self._tab()
        # BEL, SO, SI and the other controls draw nothing

    def escape(self, ch: str) -> None:
        if ch == "7":
            self.saved = (self.row, self.col)
        elif ch == "8":
            self.row, self.col = self.saved
        elif ch == "M":
            self.row = max(0, self.row - 1)
        elif ch in ("D", "E"):
            self.row += 1
            self.col = 0 if ch == "E" else self.col

    def csi(self, params: str, final: str) -> None:
        if params.startswith(("?", "<", "=", ">")):
            return  # private modes: cursor visibility, bracketed paste, ...
        numbers = [int(p) if p.isdigit() else 0 for p in params.split(";")] if params else []
        n = max(1, numbers[0]) if numbers else 1
        first = numbers[0] if numbers else 0
        if final == "A":
            self.row = max(0, self.row - n)
        elif final == "B":
            self.row += n
        elif final == "C":
            self.col += n
        elif final == "D":
            self.col = max(0, self.col - n)
        elif final == "E":
            self.row, self.col = self.row + n, 0
        elif final == "F":
            self.row, self.col = max(0, self.row - n), 0
        elif final == "G":
            self.col = n - 1
        elif final in ("H", "f"):
            column = numbers[1] if len(numbers) > 1 else 1
            self.row, self.col = n - 1, max(1, column) - 1
        elif final == "K":
            self._erase_line(first)
        elif final == "J":
            self._erase_screen(first)
        # SGR (colours) and everything else draw nothing

    def _erase_line(self, how: int) -> None:
        line = self._line()
        if how == 0:
            if self.col < len(line):
                self._break_tab(line, self.col)
                del line[self.col:]
        elif how == 1:
            for c in range(min(self.col + 1, len(line))):
                line[c] = " "
        else:
            line.clear()

    def _erase_screen(self, how: int) -> None:
        self._erase_line(how if how < 2 else 2)
        if how == 0:
            del self.rows[self.row + 1:]
        elif how == 1:
            for r in range(self.row):
                self.rows[r] = []
        else:
            self.rows = [[] for _ in self.rows]

    def lines(self) -> list[str]:
        return ["".join(line) for line in self.rows]


def expand(line: str) -> str:
    """A line as the terminal lays it out: TABs become spaces to the next 8-column stop."""
    return line.expandtabs(TAB_STOP) if "\t" in line else line


def show_tabs(line: str) -> str:
    """A line for a diff: each TAB drawn as `→` padded to its stop, so it is visible but aligned."""
    if "\t" not in line:
        return line
    out: list[str] = []
    col = 0
    for ch in line:
        if ch == "\t":
            width = TAB_STOP - col % TAB_STOP
            out.append("→" + " " * (width - 1))
            col += width
        else:
            out.append(ch)
            col += 1
    return "".join(out)
