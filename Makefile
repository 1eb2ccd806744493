# The two commands of the README: `make run` starts everything, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test venv lint clean

run: $(STAMP)
	HF_HUB_OFFLINE=1 $(BIN)/feedloop run $(ARGS)

test: $(STAMP)
	bash scripts/test.sh $(ARGS)

venv: $(STAMP)

# torch is pinned and installed first: an unpinned one pulls a multi-GB CUDA build.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "torch==2.13.0"
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/python -m ruff check . || true

clean:
	rm -rf $(VENV) instance .pytest_cache
