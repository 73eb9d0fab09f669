"""Run every example of a handbook page in that page's throwaway container.

The pipeline, one module per step:
  fences.py    parse a page into blocks (options.py reads the option comments,
               console.py splits console sessions into commands)
  loader.py    read, decode, parse and plan a page: the one way every caller loads pages
  plan.py      decide what the page needs (an engine, its base images, builds, make checks, `#>` groups)
  context.py   what a run shares (engine, images, update mode), made once per run
  page.py      what a page's blocks share: the sandbox (sandbox.py), its shell (shell.py),
               its Python (pyblocks.py), files written, secrets, timings
  dispatch.py  where a block runs (the sandbox, containers.py for `image=` and GPU blocks,
               or a skip), the page's order and its end; limits.py after each block
  runners/     one runner per block kind; each returns an Outcome (outcome.py) and compares
               with matching.py, which sees output as terminal.py draws it
  report.py    outcomes rendered as messages; record.py the results file; updates.py update mode
  sybil_plugin.py / pytest_plugin.py / notebooks.py  wire it into pytest
  selection.py which pages a run runs, decided once by the controller: shards.py
               splits them by recorded durations (SHARD=K/N), cache.py reuses the
               recorded pass of a page whose key is unchanged (incremental runs)

Around it: engine.py finds or starts Docker; images.py (`make images`) provides
the images: imagecache.py reuses what was built from the same inputs, standins.py
builds the base images where no registry answers, provision.py orders it all, and
cuda_image.py adds the GPU image; labels.py marks and sweeps what a run creates;
errors.py names every error; lint.py checks pages without running them.
"""
