# The commands a person types. `make book`, `make test`, `make serve`.
PROFILE ?= full
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
PORT ?= 8000
SCHEDULER ?= $(DASK_SCHEDULER_ADDRESS)

.PHONY: book test serve data bench clean system venv yours dist

book: venv system data
	$(PY) -m noisecorr_utils.build --profile $(PROFILE) $(if $(SCHEDULER),--scheduler $(SCHEDULER))
	@if [ "$(PROFILE)" = full ]; then $(PY) -m noisecorr_utils.compare || echo "note: some verdicts differ from the published book (listed above)"; fi

# Build and tests run with networking disabled (scripts/offline.sh): the book must need no internet.
test: venv system data
	NOISECORR_OFFLINE=1 scripts/offline.sh $(PY) -m noisecorr_utils.build --profile ci
	NOISECORR_OFFLINE=1 scripts/offline.sh $(PY) -m pytest tests _build/stage-ci/book --nbval-lax -p no:cacheprovider -n 2 --dist worksteal --durations=20

# A blind-spot report for your own networks: make yours MODELS="a.pt2 b.pt2" DATA=mnist OUT=report
DATA ?= mnist
OUT ?= yours-report
yours: venv data
	@test -n "$(MODELS)" || { echo 'error: give MODELS="MODEL MODEL ..." (FILE.pt2, TorchScript, ARCH:WEIGHTS.pt, package.module:factory:WEIGHTS.pt)'; exit 2; }
	$(PY) -m noisecorr_utils.yours $(MODELS) --data $(DATA) --out $(OUT)

# The built book as one archive: dist/noisecorr-book-<profile>-<commit>.tar.gz (opens offline unpacked).
dist: venv
	$(PY) -m noisecorr_utils.dist --profile $(PROFILE)

serve:
	@test -f _build/html/index.html || { echo "error: no book in _build/html; run make book first"; exit 1; }
	$(PYTHON) -m http.server $(PORT) --bind 127.0.0.1 --directory _build/html

bench: venv data
	$(PY) benchmarks/bench_train.py
	$(PY) benchmarks/bench_airnet.py
	$(PY) benchmarks/bench_zoo.py
	$(PY) benchmarks/bench_noise.py
	$(PY) benchmarks/bench_similarity.py
	$(PY) benchmarks/bench_attacks.py
	$(PY) benchmarks/bench_book.py --profile quick

data: venv system
	$(PY) -m noisecorr_utils.data prepare mnist fashion_mnist cifar10

system:
	@scripts/system-packages.sh

venv: $(INSTALLED)

# Reinstalls only when a requirements file changes; a second `make book` installs nothing.
$(INSTALLED): requirements.txt requirements-nodeps.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps -r requirements-nodeps.txt
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	touch $@

clean:
	rm -rf _build
