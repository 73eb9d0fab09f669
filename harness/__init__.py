"""Run every example of a handbook page in that page's throwaway container.

The pipeline, one module per step:
  fences.py    parse a page into blocks (options.py reads the option comments,
               console.py splits console sessions into commands)
  plan.py      decide what the page needs (an engine, its base images, builds, make checks)
  sandbox.py   the page's container; shell.py its persistent shell;
               pyblocks.py its persistent Python; gpu.py its GPU container
  evaluate.py  run one block and compare (matching.py, which sees output as
               terminal.py draws it) and report (report.py)
  sybil_plugin.py / pytest_plugin.py / notebooks.py  wire it into pytest

Around it: engine.py finds or starts Docker; images.py (`make images`) provides
the images: imagecache.py reuses what was built from the same inputs, standins.py
builds the base images where no registry answers, provision.py orders it all, and
cuda_image.py adds the GPU image; labels.py marks and sweeps what a run creates;
errors.py names every error; lint.py checks pages without running them.
"""
