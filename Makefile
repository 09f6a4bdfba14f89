# LSTM, Step by Step -- the human entry points.
#   make book      set up .venv and build the website into _build/html
#   make test      set up .venv and run every test (units, notebooks, strict build, browser)
#   make lab       open the notebooks in JupyterLab
#   make execute   re-run every chapter top to bottom in a fresh kernel and store outputs
#   make notebooks only the notebooks, compared as `make test` compares them
#   make bench     time every chapter in a fresh kernel (seconds, peak memory)
#   make assignments  build the autograded assignments into _build/assignments

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
JB     := $(VENV)/bin/jupyter-book
# Optional: an extra package index for PyTorch, e.g. https://download.pytorch.org/whl/cpu
TORCH_INDEX ?=
PIP_INDEX_OPTS := $(if $(TORCH_INDEX),--extra-index-url $(TORCH_INDEX),)

.PHONY: setup book book-strict test unit notebooks lab execute bench assignments sync clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(PIP_INDEX_OPTS) -c constraints.txt -e ".[book,dev]"
	@# build matplotlib's font cache now, so no notebook prints a first-import notice
	MPLBACKEND=Agg $(PY) -c "import matplotlib.pyplot"
	@touch $(STAMP)

book: $(STAMP)
	$(JB) build . --all -n --keep-going
	@echo
	@echo "The website is at: file://$(CURDIR)/_build/html/index.html"

book-strict: $(STAMP)
	$(JB) build . --all -W -n --keep-going

# Stored outputs are compared under other CPU kernels than the ones that stored them
# (tools/kernel_env.py), as a stand-in for another machine; the hash seed is the one
# `make execute` uses.
test: $(STAMP)
	@bash tools/ensure_chromium.sh
	PYTHONHASHSEED=0 $(PY) tools/kernel_env.py --run -- \
	    $(PY) -m pytest -n 2 --dist loadfile tests notebooks book \
	    --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-current-env

unit: $(STAMP)
	$(PY) -m pytest -n 2 tests -m "not build"

notebooks: $(STAMP)
	PYTHONHASHSEED=0 $(PY) tools/kernel_env.py --run -- $(PY) -m pytest -n 2 --dist loadfile notebooks --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-current-env

lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks

execute: $(STAMP)
	PYTHONHASHSEED=0 $(PY) tools/execute_notebooks.py notebooks/*.ipynb

bench: $(STAMP)
	$(PY) benchmarks/run_chapters.py
	$(PY) tools/assignments.py bench

assignments: $(STAMP)
	$(PY) tools/assignments.py build

sync: $(STAMP)
	$(PY) tools/setup_cell.py --write

clean:
	rm -rf _build .pytest_cache .hypothesis
