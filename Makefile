# upmarket — every target sets itself up on a fresh machine (Python 3.11 + make).
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test bench fuzz lint docs model clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/upmarket demo

test: $(STAMP)
	$(BIN)/pytest -n 2 -q

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

fuzz: $(STAMP)
	$(BIN)/python tests/hostile/fuzz_cases.py --cases $${FUZZ_CASES:-10000} --workers $${FUZZ_WORKERS:-2}

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

model: $(STAMP)
	$(BIN)/python scripts/train_voice_model.py --ship

docs: $(STAMP)
	$(BIN)/upmarket docs

clean:
	rm -rf $(VENV) build *.egg-info demo_out
