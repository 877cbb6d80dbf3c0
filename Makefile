# Two commands for a newcomer: `make run` and `make test`. Everything else is what they use.
SHELL := /bin/bash
.DEFAULT_GOAL := help

RASA_VENV := .venv-rasa
BOT_VENV  := .venv
RASA      := $(RASA_VENV)/bin/rasa
BOT       := $(BOT_VENV)/bin/bot
PYTHON    := $(BOT_VENV)/bin/python
WEB       := bot/web
WIDGET    := $(WEB)/static/vendor/recbot-widget.js

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export RASA_TELEMETRY_ENABLED := false
export SQLALCHEMY_SILENCE_UBER_WARNING := 1

.PHONY: help setup system-packages run run-scale test lint index lookups train train-recs eval nlu-eval bench audit lock-bot clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

setup: $(RASA_VENV)/.installed $(BOT_VENV)/.installed $(WIDGET)  ## Create both Python environments and the chat widget (idempotent)

# Rasa 3.6 runs on Python 3.10 only; the whole environment is locked in requirements/rasa.txt.
$(RASA_VENV)/.installed: requirements/rasa.txt
	@python=$$(scripts/find-python 3.10) && echo "Rasa environment: $$python" && \
	  rm -rf $(RASA_VENV) && $$python -m venv $(RASA_VENV)
	$(RASA_VENV)/bin/pip install --quiet --upgrade "pip==24.3.1"
	$(RASA_VENV)/bin/pip install --quiet --no-deps -r requirements/rasa.txt
	$(RASA_VENV)/bin/pip check
	@touch $@

# Engine and action server on Python 3.11: locked dependencies, then this repo's package.
$(BOT_VENV)/.installed: requirements/bot.txt pyproject.toml
	@python=$$(scripts/find-python 3.11) && echo "Engine environment: $$python" && \
	  rm -rf $(BOT_VENV) && $$python -m venv $(BOT_VENV)
	$(BOT_VENV)/bin/pip install --quiet --upgrade "pip==24.3.1"
	$(BOT_VENV)/bin/pip install --quiet --no-deps -r requirements/bot.txt
	$(BOT_VENV)/bin/pip install --quiet --no-deps --no-build-isolation -e .
	$(BOT_VENV)/bin/pip check
	@touch $@

# The browser assets: socket.io-client from npm (locked in bot/web/package-lock.json) for the chat
# page, and the embeddable widget bundled with it, built into bot/web/static/vendor/ (generated,
# not in git) where the web app serves them.
$(WIDGET): $(WEB)/package.json $(WEB)/package-lock.json $(WEB)/build.mjs $(wildcard $(WEB)/widget/*) \
           $(WEB)/static/chat-core.js $(WEB)/static/chat.css $(WEB)/static/theme.css
	@scripts/system-packages run
	npm ci --prefix $(WEB) --no-audit --no-fund --loglevel=error
	npm run --prefix $(WEB) --silent build
	@touch $@

index: setup  ## Embed the catalog and build the FAISS index (only if the catalog changed)
	$(BOT) index build

lookups: setup
	@$(BOT) nlu lookups --out build/nlu/catalog_lookups.yml

train: setup lookups  ## Train the Rasa model and the intent model (only if training data changed)
	@scripts/train-rasa >/dev/null
	@$(BOT) nlu train

train-recs: index  ## Fit the collaborative and trend signals on the feedback log
	$(BOT) train-recs

eval: setup  ## Offline evaluation on ../shared/data (docs/evaluation.md, .json, plots), per data set
	$(BOT) eval --data $(or $(BOT_SHARED_DATA),../shared/data)/xwines-slim --out docs/evaluation-xwines-slim
	$(BOT) eval

nlu-eval: setup index train  ## How the bot reads held-out messages and requests (docs/nlu.md, .json)
	$(BOT) nlu-eval --model $$(scripts/train-rasa)  # the demo catalog's model, not the newest (another catalog's)

bench: setup index train  ## Benchmarks (docs/benchmarks.md and .json from one run)
	.venv-bench/bin/python -c 'import locust, jwt' 2>/dev/null || { $$(scripts/find-python 3.11) -m venv .venv-bench && \
	  .venv-bench/bin/pip install --quiet -r requirements/bench.txt; }
	$(PYTHON) benchmarks/run.py

run: setup index train train-recs  ## Start action server, Rasa and the chat page; Ctrl-C stops all
	scripts/run

run-scale: setup index train  ## The same with SCALE_N (2) Rasa and action servers behind nginx, on PostgreSQL and Redis
	scripts/run-scale

# System packages beyond Python (Chromium, an emoji font, npm, nginx, docker-compose): installed on
# Debian/Ubuntu when missing, as root or through sudo; elsewhere the script says what to install.
system-packages:
	@scripts/system-packages test

lint: setup  ## ruff, and the layers' import contracts of docs/architecture.md (import-linter)
	$(BOT_VENV)/bin/ruff check .
	$(BOT_VENV)/bin/lint-imports --no-cache

test: system-packages setup lint index train  ## Lint, then every test (unit, actions, Rasa stories, end to end, browser)
	$(PYTHON) -m pytest

AUDIT_VENV := .venv-audit
audit:  ## Known vulnerabilities in both locked environments (pip-audit; needs PyPI's JSON API)
	test -x $(AUDIT_VENV)/bin/pip-audit || { $$(scripts/find-python 3.11) -m venv $(AUDIT_VENV) && \
	  $(AUDIT_VENV)/bin/pip install --quiet pip-audit==2.10.1; }
	# --strict: a package that could not be checked fails the audit (offline, every one would)
	$(AUDIT_VENV)/bin/pip-audit --strict --no-deps --disable-pip -r requirements/bot.txt
	$(AUDIT_VENV)/bin/pip-audit --strict --no-deps --disable-pip -r requirements/rasa.txt

lock-bot:  ## Re-resolve the engine environment and rewrite its lock
	rm -rf /tmp/lock-bot && $$(scripts/find-python 3.11) -m venv /tmp/lock-bot && \
	  /tmp/lock-bot/bin/pip install --quiet -e '.[test]' && \
	  { echo "# Lock of the engine/actions environment (Python 3.11). Regenerate: make lock-bot"; \
	    /tmp/lock-bot/bin/pip freeze --exclude-editable; } > requirements/bot.txt

clean:  ## Remove trained models, index, caches and databases (keeps the environments)
	rm -rf models build var .pytest_cache
