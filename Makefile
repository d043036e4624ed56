# Two commands: `make run` and `make test`. Everything else is a helper for them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
PORTAL_PORT ?= 8765
SMS_PORT ?= 8766
PYTEST_WORKERS ?= 2

.PHONY: run test lint typecheck pytest browser bench clean

$(VENV)/.stamp-run: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.stamp-test: pyproject.toml $(VENV)/.stamp-run
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

## make run: install, migrate, load the An Giang demo, start web server + worker on http://$(HOST):$(PORT)
run: $(VENV)/.stamp-run
	$(BIN)/chinhquyenso migrate --noinput
	$(BIN)/chinhquyenso demo
	@echo "Khởi động tiến trình nền và máy chủ web / starting worker and web server: http://$(HOST):$(PORT)/"
	@trap 'kill $$WORKER_PID $$PORTAL_PID $$SMS_PID 2>/dev/null; wait $$WORKER_PID $$PORTAL_PID $$SMS_PID 2>/dev/null' EXIT INT TERM; \
	$(BIN)/chinhquyenso mock-national-portal --host 127.0.0.1 --port $(PORTAL_PORT) & PORTAL_PID=$$!; \
	$(BIN)/chinhquyenso mock-sms-gateway --port $(SMS_PORT) & SMS_PID=$$!; \
	CHINHQUYENSO_NATIONAL_PORTAL_URL=http://127.0.0.1:$(PORTAL_PORT) CHINHQUYENSO_SMS_URL=http://127.0.0.1:$(SMS_PORT) \
	  $(BIN)/chinhquyenso worker & WORKER_PID=$$!; \
	$(BIN)/chinhquyenso serve --host $(HOST) --port $(PORT)

## Headless Chromium for the end-to-end tests (Debian package; Playwright drives it by executable_path)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Cài Chromium (Debian) cho kiểm thử giao diện / installing Debian chromium for UI tests"; \
	  if [ "$$(id -u)" = 0 ]; then (apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium fonts-noto-core >/dev/null); \
	  else sudo -n sh -c 'apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium fonts-noto-core' >/dev/null; fi \
	  || echo "WARNING: chromium not installed; browser tests will be skipped"; }

lint: $(VENV)/.stamp-test
	$(BIN)/ruff check src tests bench

typecheck: $(VENV)/.stamp-test
	$(BIN)/mypy

pytest: $(VENV)/.stamp-test
	$(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

## make test: install test dependencies, lint, type-check, run the whole suite
test: $(VENV)/.stamp-test browser lint typecheck pytest

bench: $(VENV)/.stamp-test
	PYTHONPATH=. $(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
