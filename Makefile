# The handbook's task runner. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PYTEST := $(PY) -m pytest -c pytest.ini --rootdir=.
WORKERS ?= 2
PAGE ?= docs
K ?=
ARGS ?=
KFLAG := $(if $(K),-k "$(K)",)

.PHONY: help venv engine images test test-harness test-docs test-docs-gpu update-docs site serve publish \
        bench doctor pin upgrade lint clean

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

test: test-harness test-docs ## Everything: the harness's own tests, then every handbook page

test-harness: images ## The harness's own tests (tests/)
	@mkdir -p build
	$(PYTEST) -n $(WORKERS) tests $(KFLAG) $(ARGS) --junitxml=build/test-harness.xml

test-docs: images ## Run every page (or PAGE=path/to/page.md); K=expr filters; report in build/test-docs.xml
	@mkdir -p build
	$(PYTEST) -n $(WORKERS) --dist loadfile $(PAGE) $(KFLAG) $(ARGS) --junitxml=build/test-docs.xml

test-docs-gpu: images ## Only the GPU-marked blocks
	@mkdir -p build
	$(PYTEST) -n $(WORKERS) --dist loadfile $(PAGE) -m gpu $(KFLAG) $(ARGS) --junitxml=build/test-docs-gpu.xml

update-docs: images ## Rewrite expected output on pages from what actually ran (PAGE=... to limit)
	$(PYTEST) -n $(WORKERS) --dist loadfile $(PAGE) $(KFLAG) $(ARGS) --update-examples

doctor: ## Check this machine against the onboarding checklist
	@$(PYTHON) snippets/onboarding/doctor.py

pin: venv ## Compile requirements.in into requirements.txt (pip-compile)
	$(VENV)/bin/pip-compile -q --strip-extras --no-emit-index-url --no-emit-find-links -o requirements.txt requirements.in

upgrade: venv ## Upgrade every pin in requirements.txt
	$(VENV)/bin/pip-compile -q --upgrade --strip-extras --no-emit-index-url --no-emit-find-links -o requirements.txt requirements.in

clean: ## Remove build output (cached images stay)
	rm -rf build site
