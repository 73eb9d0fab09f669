# The handbook's task runner. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PYTEST := $(PY) -m pytest -c pytest.ini --rootdir=.
# Page runs need neither pytest's assert rewriting nor Hypothesis's plugin: without them a run
# starts 3 s sooner (each process would rewrite and compile its imports, PYTHONDONTWRITEBYTECODE or not).
PAGES_PYTEST := $(PYTEST) -p no:hypothesispytest --assert=plain
WORKERS ?= 2
PAGE ?= docs
K ?=
ARGS ?=
KFLAG := $(if $(K),-k "$(K)",)
# Incremental runs and shards (docs/contributing.md): FRESH=1 runs every page, SHARD=K/N one shard of them.
# NETWORK_TTL: how long a page with a `network` block keeps its cached pass (the harness's default: 1h; 0: never).
FRESH ?=
NETWORK_TTL ?=
SHARD ?=
RESULTS ?=
RESULTS_CACHE := build/cache/results
SHARD_DIR := build/shards/$(subst /,-of-,$(SHARD))
DOCS_RESULTS := $(if $(SHARD),$(SHARD_DIR)/results.json,build/results.json)
DOCS_JUNIT := $(if $(SHARD),$(SHARD_DIR)/test-docs.xml,build/test-docs.xml)
CACHE_FLAGS := --cache=$(RESULTS_CACHE) $(if $(filter-out 0,$(FRESH)),--fresh,) $(if $(SHARD),--shard=$(SHARD),) \
  $(if $(NETWORK_TTL),--network-ttl=$(NETWORK_TTL),)

.PHONY: help venv engine images test test-unit test-harness test-docs test-docs-gpu update-docs site serve publish \
        test-site chromium bench doctor hooks pin upgrade lint check clean durations

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-15s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

venv: $(VENV)/.installed ## Create the virtual environment from requirements.txt

engine: venv ## Make sure a Docker engine answers (installs and starts one on bare Debian as root)
	$(PY) -m harness.engine

images: engine ## Build or reuse the base images, the sandbox image and the seed archive
	$(PY) -m harness.images

test: test-harness test-site ## Everything: the harness's own tests, every handbook page (make site), the site in a browser

test-unit: venv ## The harness's fast tests that need no Docker engine (parser, matching, doctor...)
	$(PYTEST) -n $(WORKERS) tests --ignore=tests/test_site.py -m "not docker" $(KFLAG) $(ARGS)

test-harness: images ## The harness's own tests (tests/)
	@mkdir -p build
	$(PYTEST) -n $(WORKERS) tests --ignore=tests/test_site.py $(KFLAG) $(ARGS) --junitxml=build/test-harness.xml

test-docs: images ## Run every page (or PAGE=...; K=expr filters), reusing unchanged pages' passes (FRESH=1: none; NETWORK_TTL; SHARD=K/N)
	@mkdir -p $(dir $(DOCS_RESULTS))
	$(PAGES_PYTEST) -n $(WORKERS) --dist loadfile $(PAGE) $(KFLAG) $(ARGS) --junitxml=$(DOCS_JUNIT) \
	  --results=$(DOCS_RESULTS) $(CACHE_FLAGS)

durations: venv ## Refresh test-durations.json (how shards are split) from a full run's build/results.json
	$(PY) -m harness.shards durations build/results.json > test-durations.json.tmp && mv test-durations.json.tmp test-durations.json

test-docs-gpu: images ## Only the GPU-marked blocks
	@mkdir -p build
	$(PAGES_PYTEST) -n $(WORKERS) --dist loadfile $(PAGE) -m gpu $(KFLAG) $(ARGS) --junitxml=build/test-docs-gpu.xml \
	  --results=build/results-gpu.json

update-docs: images ## Rewrite expected output on pages from what actually ran (PAGE=... to limit)
	$(PAGES_PYTEST) -n $(WORKERS) --dist loadfile $(PAGE) $(KFLAG) $(ARGS) --update-examples

# The site: make site runs every example, then builds into a temporary folder
# and moves it to site/ only when the gate (site_hooks/gate.py) found every
# page verified; make publish deploys only the tree that make site just built.
SITE_TMP := build/site.tmp
SERVE_ADDR ?= 127.0.0.1:8000
MKDOCS := NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs

site: venv ## Run every example fresh (or merge RESULTS="build/shards/*"), then build site/; refuses unless all passed
	@rm -rf site $(SITE_TMP) build/site.json build/test-docs.xml build/results.json
	@status=0; if [ -n "$(RESULTS)" ]; then $(PY) -m site_hooks.shards $(RESULTS) --out build/results.json || exit 1; \
	  else $(MAKE) --no-print-directory test-docs FRESH=1 SHARD= || status=$$?; fi; \
	  $(PY) -m site_hooks.gate check --tests-exit $$status
	HANDBOOK_SITE_GATE=1 $(MKDOCS) build --strict --site-dir $(SITE_TMP) || { rm -rf $(SITE_TMP); exit 1; }
	@$(PY) -m site_hooks.gate mark $(SITE_TMP) && mv $(SITE_TMP) site
	@echo "make site: built site/ from verified pages (make serve to preview, make publish to deploy)"

serve: venv ## Live preview (SERVE_ADDR=127.0.0.1:8000) with the stamps of the last test run; no link checker
	HANDBOOK_CHECK_LINKS=false $(MKDOCS) serve --dev-addr $(SERVE_ADDR)

publish: venv ## Deploy to GitHub Pages (gh-pages), only the tree that make site just built and verified
	@$(PY) -m site_hooks.gate publish-check
	HANDBOOK_SITE_GATE=1 $(MKDOCS) gh-deploy --force --strict --message "Deploy {sha}: every example verified"

test-site: site chromium ## Drive the built site in headless Chromium; screenshots in build/screenshots/
	$(PYTEST) tests/test_site.py $(ARGS) --junitxml=build/test-site.xml

chromium: ## Install Debian's chromium and chromium-driver when missing (as root on Debian)
	@$(PYTHON) tests/sitebrowser.py

bench: images ## Time the harness against its targets (about 10 min): build/bench.json, a table, build/bench.png
	$(PY) -m bench

doctor: ## Check this machine against the onboarding checklist
	@$(PYTHON) snippets/onboarding/doctor.py

hooks: venv ## Install the pre-commit hooks (strip notebook outputs, pages parse, no secrets)
	$(VENV)/bin/pre-commit install

check: venv ## Lint (ruff) and type-check (mypy) the harness, site hooks, bench, tools and tests; lint the pages' Python; the workflow
	$(VENV)/bin/ruff check harness site_hooks bench tools tests
	$(VENV)/bin/mypy
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(PYTEST) -q -p no:cacheprovider tests/test_examples_lint.py

lint: venv ## Run the pre-commit hooks on every file
	$(VENV)/bin/pre-commit run --all-files

pin: venv ## Compile requirements.in into requirements.txt (pip-compile)
	$(VENV)/bin/pip-compile -q --strip-extras --no-emit-index-url --no-emit-find-links -o requirements.txt requirements.in

upgrade: venv ## Upgrade every pin in requirements.txt
	$(VENV)/bin/pip-compile -q --upgrade --strip-extras --no-emit-index-url --no-emit-find-links -o requirements.txt requirements.in

clean: ## Remove build output (cached images stay)
	rm -rf build site
