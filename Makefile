# Two commands for a fresh machine with Python 3.11: `make report` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.landscape-installed
SAMPLE := landscape/data/hf_papers_sample.csv
REPORTS ?= reports
# Where torch's CPU wheel comes from; on hosts without a local wheel (e.g. GitHub runners) set
# TORCH_INDEX=https://download.pytorch.org/whl/cpu, or PyPI serves the multi-GB CUDA build.
TORCH_INDEX ?=

.PHONY: install report test test-precisions lint bench clean-reports

install: $(STAMP)

# torch first, from the CPU wheel: an unpinned torch would pull a multi-GB CUDA build.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0 $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX))
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

report: $(STAMP)
	$(BIN)/landscape report $(SAMPLE) -o $(REPORTS)

test: $(STAMP)
	$(BIN)/python -m pytest -q

# The suite with embeddings forced to fp32, then bf16, then int8 (what precision="auto" picks depends
# on the CPU: int8 where it has VNNI, bf16 where it has native bf16 and no VNNI, fp32 elsewhere).
test-precisions: $(STAMP)
	LANDSCAPE_PRECISION=fp32 $(BIN)/python -m pytest -q
	LANDSCAPE_PRECISION=bf16 $(BIN)/python -m pytest -q
	LANDSCAPE_PRECISION=int8 $(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check landscape tests bench
	$(BIN)/ruff format --check landscape tests bench

bench: $(STAMP)
	$(BIN)/python bench/quality.py $(if $(DEV_EMBEDDINGS),--embeddings-dir $(DEV_EMBEDDINGS))
	$(BIN)/python bench/int8_quality.py --sizes 2000 10000 --slices 12 1 --seeds 0
	$(BIN)/python bench/pipeline.py --sizes 20000 92705 --bertopic --update 1000 --cold $(if $(DEV_EMBEDDINGS),--embeddings-dir $(DEV_EMBEDDINGS))
	$(BIN)/python bench/cold_build.py

clean-reports:
	rm -rf $(REPORTS)/*.html $(REPORTS)/notebooks $(REPORTS)/landscape
