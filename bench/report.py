"""The table at the end of `make bench`, its Markdown twin, and the chart.

The table is what a reader looks at first, so each row carries its target
and verdict; bench.json keeps the rest (samples, what exactly was timed,
why a target was missed). The chart shows one full run page by page,
because where the time goes differs a lot between a page of shell commands
and a page that builds images.
"""
from __future__ import annotations

import textwrap
from pathlib import Path

from .common import Figure

SEGMENTS = [  # (record keys, label, colour)
    (("sandbox",), "sandbox start + removal", "#8c8c8c"),
    (("engine_wait",), "waiting for the nested engine (start + seeding)", "#e0a030"),
    (("examples",), "examples' own commands", "#3a7dc9"),
    (("harness",), "harness bookkeeping", "#c94a3a"),
]


def shown(f: Figure) -> str:
    if f.shown:
        return f.shown
    if f.value is None:
        return "n/a"
    v = f.value
    if f.unit == "s":
        return f"{v:.1f} s" if v >= 10 else f"{v:.2f} s"
    if f.unit == "ms":
        return f"{v:.2f} ms"
    if f.unit == "x":
        return f"{v:.2f}x"
    if f.unit == "%":
        return f"{v:.1f} %"
    if f.unit == "MiB":
        return f"{v:.0f} MiB"
    return f"{v:g} {f.unit}"


def verdict(f: Figure) -> str:
    return {True: "met", False: "MISSED", None: ""}[f.met]


def target(f: Figure) -> str:
    if not f.target:
        return ""
    op, bound = f.target.split()
    unit = {"x": "x", "%": " %"}.get(f.unit, f" {f.unit}")
    return f"{op.replace('<=', '≤').replace('>=', '≥')} {bound}{unit}"


def rows(figures: list[Figure]) -> list[tuple[str, ...]]:
    return [(str(f.item), f.title, shown(f), target(f), verdict(f)) for f in figures]


def text_table(figures: list[Figure]) -> str:
    head = ("#", "figure", "value", "target", "")
    body = rows(figures)
    widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]
    widths[2] = min(widths[2], 60)  # long notes wrap in bench.json, not here
    def line(r):
        return "  ".join(c[:widths[i]].ljust(widths[i]) for i, c in enumerate(r)).rstrip()
    return "\n".join([line(head), line(tuple("-" * w for w in widths)), *map(line, body)])


def markdown_table(figures: list[Figure]) -> str:
    out = ["| # | Figure | Value | Target | |", "| --- | --- | --- | --- | --- |"]
    for r in rows(figures):
        # Markdown drops a cell's leading spaces: mark the rows that detail the one above
        title = "↳ " + r[1].strip() if r[1].startswith("  ") else r[1]
        out.append("| " + " | ".join(c.strip().replace("|", "\\|") for c in (r[0], title, *r[2:])) + " |")
    return "\n".join(out)


def chart(records: list[dict], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")  # no display on a build machine
    import matplotlib.pyplot as plt

    records = sorted(records, key=lambda r: r["total"])
    names = [r["page"].removeprefix("docs/") for r in records]
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(records) + 1.6), dpi=110)
    left = [0.0] * len(records)
    for keys, label, colour in SEGMENTS:
        widths = [sum(r.get(k, 0.0) for k in keys) for r in records]
        ax.barh(names, widths, left=left, label=label, color=colour, height=0.6)
        left = [a + b for a, b in zip(left, widths, strict=True)]
    for y, r in enumerate(records):
        ax.text(r["total"], y, f" {r['total']:.1f} s", va="center", fontsize=8)
    ax.set_xlabel("seconds (each page on one worker)")
    ax.set_title(textwrap.fill(title, 90), fontsize=10)  # a long title would run off the figure
    ax.set_xlim(0, max(r["total"] for r in records) * 1.12)
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
