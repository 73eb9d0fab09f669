"""Run every example of a handbook page in that page's throwaway container.

The pipeline, one module per step:
  fences.py    parse a page into blocks (options.py reads the option comments,
               console.py splits console sessions into commands)
  plan.py      decide what each block needs (engine, builds, make checks)
  sandbox.py   the page's container; shell.py its persistent shell;
               pyblocks.py its persistent Python
  evaluate.py  run one block and compare (matching.py) and report (report.py)
  sybil_plugin.py / pytest_plugin.py  wire it into pytest
"""
