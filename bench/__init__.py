"""`make bench`: what the harness costs, measured against the targets of issue 7.

Why a benchmark at all: every example runs in a throwaway container, and a
contributor waits for the whole handbook before the site is published. The
numbers here say where that wait goes (container start, nested engines and
their seeding, the examples' own commands, the harness's bookkeeping), so
that a change to the harness can be judged by them rather than by feel.

The run plan (see __main__.py) fits in 15 minutes on a busy two-core
machine: the small measurements repeat and report medians, while the whole
handbook runs once per configuration and the warm two-worker run serves
several figures at once (wall time, shares, the per-page chart, memory).

The handbook runs go online as `make test-docs` does, so that blocks marked
`network` install from the package registries and the examples' own time is
the real one. BENCH_OFFLINE=1 runs them offline instead (those blocks fail
fast, and bench.json says how many did).

Modules:
  common.py     shared setup (engine, images, labels), statistics, the record
  commands.py   per-command overhead (1) and byexample, a native peer (6)
  lifecycle.py  a page's sandbox lifecycle (2); its engine and seeding (3)
  cold.py       cold provisioning without a registry or a mirror (part of 4)
  handbook.py   whole-handbook runs: wall, shares, workers, memory (4, 5, 7)
  report.py     the table, the chart, and the Markdown for the docs
"""
