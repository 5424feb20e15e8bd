# Hot Blocking: the two commands a new user runs are `make demo` and `make test`.
# Both install what they need first (Debian packages + the venv), see scripts/setup.sh.
SHELL := /bin/bash
PY := .venv/bin/python
OUT ?= out/demo
RUN := source scripts/env.sh &&

.PHONY: setup demo backtest test test-core test-system lint install package bench clean

setup:
	@bash scripts/setup.sh

demo: setup  ## full pipeline on the bundled sample data, outputs in $(OUT)
	@$(RUN) $(PY) scripts/demo.py --out $(OUT)

backtest: setup  ## README's "Is the map any good?" figures, from the sample (outputs in out/backtest)
	@$(RUN) $(PY) scripts/backtest_sample.py --out out/backtest $(ARGS)

test: setup  ## the whole test suite on a real QGIS (what CI runs)
	@$(RUN) $(PY) -m pytest -q tests

test-system: setup  ## only the separate-process tests (make install into a private HOME, qgis_process, desktop)
	@$(RUN) $(PY) -m pytest -q tests/system

test-core: setup  ## only the pure core (no QGIS needed)
	@$(RUN) $(PY) -m pytest -q -p no:pytest_qgis tests/core

lint: setup
	@$(PY) -m ruff check .

install:  ## the plugin for your QGIS: Debian's pandas/scipy (apt), shapely 2 into the plugin, enabled
	@bash scripts/install.sh $(if $(LINK),--link) $(if $(PROFILE),--profile "$(PROFILE)")

package:  ## dist/hotblocking-<version>.zip (or ZIP=path) for QGIS's "Install from ZIP"
	@python3 scripts/plugin_files.py zip $(ZIP)

desktop: setup  ## desktop QGIS with this checkout enabled, in a fresh private profile (ARGS=--xvfb ...)
	@bash scripts/desktop.sh $(ARGS)

bench: setup  ## speed and memory against QGIS's own tools (not part of `make test`)
	@$(RUN) $(PY) bench/bench_join.py
	@$(RUN) $(PY) bench/bench_stores.py --size large --skip-reads
	@$(RUN) $(PY) bench/bench_stores.py --size small --skip-join
	@$(RUN) $(PY) bench/bench_pipeline.py

clean:
	rm -rf out dist .pytest_cache
