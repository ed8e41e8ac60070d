# Lección 14 (Deep Learning II): every target installs what it needs first.
PYTHON_FOR_VENV ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
DATA_MIRROR ?=
export PYTHONUTF8 := 1
export TF_CPP_MIN_LOG_LEVEL := 2

.PHONY: install data reference calibrate test clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON_FOR_VENV) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

data: install
	$(PY) -m leccion14.cli data $(if $(DATA_MIRROR),--mirror "$(DATA_MIRROR)")

reference: data
	$(PY) -m leccion14.cli reference

calibrate: data
	$(PY) -m leccion14.cli calibrate

test: data
	$(PY) -m pytest

.PHONY: student check-student

student: install
	$(PY) -m leccion14.cli student

check-student: install
	$(PY) -m leccion14.cli check-student

clean:
	rm -rf build dist

.PHONY: handout

handout: install
	$(PY) -m leccion14.cli handout

# Batch grading and benchmarks: `make grade SUBMISSIONS=<carpeta> OUT=<carpeta> [PART=cnn|lstm] [WORKERS=N] [FORCE=1]`.
.PHONY: grade bench

grade: install
	@test -n "$(SUBMISSIONS)" -a -n "$(OUT)" || { echo "Uso: make grade SUBMISSIONS=<carpeta de entregas> OUT=<carpeta de resultados>" >&2; exit 2; }
	$(PY) -m leccion14.cli grade --submissions "$(SUBMISSIONS)" --out "$(OUT)" $(if $(PART),--part $(PART)) $(if $(WORKERS),--workers $(WORKERS)) $(if $(filter-out 0 no false,$(FORCE)),--force)

bench: install
	$(PY) -m leccion14.bench --out BENCHMARKS.md

.PHONY: autograder demo

# Gradescope packages dist/cnn-autograder.zip and dist/lstm-autograder.zip.
autograder: data student
	$(PY) -m leccion14.cli autograder

# Main job: grade the reference, the stubs and the corpus of wrong submissions; print the table.
demo: autograder
	$(PY) -m leccion14.cli demo
