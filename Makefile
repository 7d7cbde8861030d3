# aebook: `make book` builds the site, `make test` runs every check. Both set up .venv first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Empty: `make book` builds the site from the committed full-profile notebooks, training nothing.
# smoke or full: `make book` executes every recipe in that profile first.
PROFILE ?=
SOURCES := $(sort $(wildcard recipes/[0-9][0-9]_*.py))
NOTEBOOKS := $(SOURCES:.py=.ipynb)
EXECUTED := _build/executed
# The results page reads the records of the runs the pages come from: the committed full-profile
# records for the committed notebooks, the records `make book PROFILE=...` wrote for its own runs.
REPORT_RESULTS ?= $(if $(PROFILE),_build/results,results)
export TF_CPP_MIN_LOG_LEVEL ?= 2
export PYTHONWARNINGS ?= ignore::DeprecationWarning
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: help venv book committed execute-all colab-recipes html site execute notebooks sync sanitize lint unit smoke nbval test browser colab-env colab bench bench-quality bench-precision clean

help:
	@echo "make book                       build _build/html from the committed full-profile notebooks"
	@echo "make book PROFILE=smoke|full    execute every recipe in that profile first, then build"
	@echo "make test                       lint, unit tests, smoke runs (+ nbval check), book build (-W), pages"
	@echo "make execute                    re-execute the committed notebooks in place (full profile)"
	@echo "make notebooks                  regenerate recipes/*.ipynb from the .py sources"
	@echo "make sync                       rewrite Colab badges and install cells (aelib pinned)"
	@echo "make sanitize                   strip TensorFlow logs and machine paths from notebooks"
	@echo "make colab                      smoke runs on a Colab-like kernel (Colab's versions)"
	@echo "make browser                    open the built book in headless Chromium"
	@echo "make bench [PROFILE=full]       time every recipe in that profile (benchmarks/results)"
	@echo "make bench-quality [TASKS=...] [SEED_EPOCH_CAP=N]  time to the seed's quality"
	@echo "make bench-precision [TASKS=...] mixed precision and XLA, on and off (for a GPU)"

$(BIN)/.installed: requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

venv: $(BIN)/.installed

# The book: by default the committed notebooks as they are (the published pages); with a PROFILE,
# papermill executes copies of them under _build/, never the committed ones.
book: venv $(if $(PROFILE),execute-all,committed) html

committed:
	rm -rf $(EXECUTED)/recipes
	mkdir -p $(EXECUTED)/recipes
	cp $(NOTEBOOKS) $(EXECUTED)/recipes/

execute-all: venv
	@test -n "$(PROFILE)" || { echo "execute-all needs PROFILE=smoke or PROFILE=full"; exit 1; }
	@mkdir -p $(EXECUTED)/recipes _build/results
	@rm -rf _build/results
	@for notebook in $(NOTEBOOKS); do \
	  $(BIN)/python -m booktools.execute --profile $(PROFILE) --results _build/results \
	    $$notebook $(EXECUTED)/$$notebook || exit 1; \
	done

html: venv
	@test -n "$$(ls $(EXECUTED)/recipes/*.ipynb 2>/dev/null)" || \
	  { echo "no executed notebooks in $(EXECUTED)/recipes: run make book"; exit 1; }
	rm -rf _build/book _build/html
	mkdir -p _build/book
	cp -r _config.yml intro.md references.md references.bib _static _build/book/
	cp -r $(EXECUTED)/recipes _build/book/recipes
	$(BIN)/python -m booktools.book site-badges _build/book
	$(BIN)/python -m booktools.book toc _build/book/_toc.yml
	$(BIN)/python -m booktools.report page _build/book/results.md --results $(REPORT_RESULTS)
	$(BIN)/python -m booktools.gallery _build/book/gallery.md --notebooks _build/book/recipes \
	  --results $(REPORT_RESULTS)
	$(BIN)/python -m benchmarks.appendix _build/book/appendix.md
	$(BIN)/jupyter-book build _build/book --path-output _build/site --warningiserror --nitpick --keep-going --quiet
	mv _build/site/_build/html _build/html
	@echo "book: $(CURDIR)/_build/html/index.html"

# Check the built pages against the notebooks they came from (tables rendered, figures present).
site: venv
	$(BIN)/python -m pytest -q -m site

# Refresh the committed reference outputs: full profile, in place (set AELIB_DATA_DIR for real data),
# then sanitized: no TensorFlow start-up lines, no paths of this machine.
execute: venv notebooks
	@for notebook in $(NOTEBOOKS); do \
	  $(BIN)/python -m booktools.execute --profile full --results results $$notebook || exit 1; \
	done

notebooks: venv
	$(BIN)/jupytext --update --to ipynb $(SOURCES)

# Badges, README tables and install cells; each cell pins aelib to the last commit that changed
# aelib/ or pyproject.toml (commit those first, then sync and commit the recipes).
sync: venv
	$(BIN)/python -m booktools.book sync

# For a notebook executed by hand before it is committed (make execute does this itself).
sanitize: venv
	$(BIN)/python -m booktools.book sanitize $(NOTEBOOKS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(BIN)/zizmor --offline --quiet --config .github/zizmor.yml .github/workflows

unit: venv
	$(BIN)/python -m pytest -q -m "not recipe and not site and not browser" --doctest-modules tests aelib booktools

# Smoke runs (tests/recipes/, one module per recipe) write executed notebooks to _build/executed.
smoke: venv
	$(BIN)/python -m pytest -q -m recipe tests/recipes

# nbval itself, re-executing the committed notebooks: AELIB_PROFILE is the named override of
# their PROFILE parameter, and each page says that it applied.
nbval: venv
	AELIB_PROFILE=smoke AELIB_RESULTS_DIR=$(CURDIR)/_build/nbval-results $(BIN)/python -m pytest -q \
	  -p no:cacheprovider --nbval-lax --nbval-sanitize-with tests/nbval_sanitize.cfg recipes/

# The smoke runs on a Colab-like kernel: Colab's Python, TensorFlow and Keras, no aelib until
# each notebook's first cell installs it from the repository URL (redirected to this checkout).
# Two recipes at a time, each kernel with one TensorFlow and BLAS thread: on 2 cores this beats
# one recipe at a time with two threads (TensorFlow leaves much of its second core idle).
RECIPE_WORKERS ?= 2
colab-env: venv
	$(BIN)/python tests/colab/setup.py --workers $(RECIPE_WORKERS)

colab: colab-env colab-recipes

# Each recipe runs once: its assertions and nbval's output check come from that one execution
# (one test module per recipe, kept on one worker).
colab-recipes: venv
	JUPYTER_PATH=$(CURDIR)/_build/colab/jupyter AELIB_SMOKE_KERNEL=aebook-colab \
	  TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1 OMP_NUM_THREADS=1 \
	  $(BIN)/python -m pytest -q -m recipe -n $(RECIPE_WORKERS) --dist loadfile tests/recipes

# Every check, phase by phase; the seconds each phase took are printed at the end.
TEST_PHASES := venv lint unit colab-env colab-recipes html site
test:
	@started=$$(date +%s); report=""; \
	for phase in $(TEST_PHASES); do \
	  begin=$$(date +%s); \
	  $(MAKE) --no-print-directory $$phase || { echo "make test: the $$phase phase failed"; exit 1; }; \
	  report="$$report$$(printf '%-14s %5d s' $$phase $$(( $$(date +%s) - begin )))\n"; \
	done; \
	printf "\nmake test, wall time per phase:\n$$report%-14s %5d s\n" total $$(( $$(date +%s) - started ))

# A real browser on the built book (needs Debian's chromium; .ci/run installs it).
browser: venv
	$(BIN)/python -m pytest -q -p no:cacheprovider -m browser tests/test_browser.py

bench: venv
	$(BIN)/python -m benchmarks $(or $(PROFILE),smoke)

# Our training configuration against the seed's on the same model (full data, hours on a CPU).
bench-quality: venv
	$(BIN)/python -m benchmarks.time_to_quality $(if $(TASKS),--tasks $(TASKS)) \
	  $(if $(SEED_EPOCH_CAP),--seed-epoch-cap $(SEED_EPOCH_CAP))

# Mixed precision and XLA on and off: each recipe model's training speed and one-epoch quality.
bench-precision: venv
	$(BIN)/python -m benchmarks.precision_xla $(if $(TASKS),--tasks $(TASKS))

clean:
	rm -rf _build
