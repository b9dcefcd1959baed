# Set-up, run, serve and checks in one command each: `make run`, `make serve`, `make test`.
# Without make, see README.md for the plain commands these run.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The newest step unless STEP=NN picks another (make run STEP=02), or DIR= names a step folder
# of your own (make run DIR=my_work/08_deploy).
STEP ?= $(patsubst steps/%,%,$(firstword $(subst _, ,$(lastword $(sort $(wildcard steps/[0-9][0-9]_*))))))
STEP_DIR := $(if $(DIR),$(patsubst %/,%,$(DIR)),$(firstword $(wildcard steps/$(STEP)_*)))
NO_STEP = { echo "No step folder $(or $(DIR),steps/$(STEP)_*)"; exit 1; }
# make run serves on 5000, make serve on 8000, unless PORT=NNNN says (PORT=0: a free port).
RUN_PORT = $(or $(PORT),5000)
SERVE_PORT = $(or $(PORT),8000)
FRONTEND_SOURCES := $(shell find frontend/app frontend/vendor frontend/plugins -type f 2>/dev/null) frontend/brunch-config.js

.PHONY: doctor setup run serve test lint format frontend diff progress grade watch bench screenshots clean mongo carry patches

setup: $(VENV)/.installed frontend

# Whether this machine has what the workshop needs, one line each, with the fix for what it
# lacks (docs/setup.md). PYTHON= checks another Python, PORT= another port for make run. It runs
# on python3 wherever there is one, even one too old for the workshop.
doctor:
	@$(or $(shell command -v python3),$(PYTHON)) tools/doctor.py \
		--python $(PYTHON) --port $(RUN_PORT) --venv $(VENV)

# An older Python would fail deep inside pip ("No matching distribution"): say so first.
$(VENV)/.installed: requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
		echo "Python 3.11 or newer is needed; $(PYTHON) is $$($(PYTHON) --version 2>&1)."; \
		echo "Install a newer one (python.org, Homebrew, apt) and name it: make PYTHON=python3.12"; \
		exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -r requirements-dev.txt
	touch $@

# SecantusDB, a MongoDB-protocol server for the checks' second run and `make mongo`. It has no
# wheel for some machines (Intel Macs): there pip fails, and this file is not made.
$(VENV)/.secantus: requirements-secantus.txt $(VENV)/.installed
	$(BIN)/pip install -r requirements-secantus.txt
	touch $@

frontend: frontend/public/index.html

frontend/node_modules/.package-lock.json: frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund

frontend/public/index.html: frontend/node_modules/.package-lock.json $(FRONTEND_SOURCES)
	cd frontend && npm run build

run: setup
	@test -f "$(STEP_DIR)/app.py" || $(NO_STEP)
	@echo "Starting $(STEP_DIR): open http://127.0.0.1:$(RUN_PORT) (Ctrl+C stops it)"
	$(BIN)/flask --app $(STEP_DIR)/app.py run --port $(RUN_PORT)

# The production recipe (step 08 on): waitress on 127.0.0.1:8000, for the HTTPS proxy in front,
# serving create_app(production=True) (tools/serve.py: waitress-serve with the step's folder in
# place of MODULE:OBJECT). Settings come from the environment: MONGO_URI and SECRET_KEY
# (required), TRUSTED_PROXIES, TRUSTED_HOSTS.
# One process: waitress reads each request whole, however slowly it comes, without a thread,
# and only then hands it to one of 48 threads. Up to 1000 connections (poll: select stops at
# 1024 files); a connection idle for 30 s is closed; a body over 1 MiB (the app's
# MAX_CONTENT_LENGTH) is refused before it is stored. X-Forwarded-* headers are left to the
# app's ProxyFix (TRUSTED_PROXIES) instead of being removed.
WAITRESS = $(BIN)/python tools/serve.py $(STEP_DIR) --host 127.0.0.1 --port $(SERVE_PORT) \
	--threads 48 --connection-limit 1000 --asyncore-use-poll --channel-timeout 30 \
	--max-request-body-size 1048576 --no-clear-untrusted-proxy-headers
serve: setup
	@test -f "$(STEP_DIR)/app.py" || $(NO_STEP)
	@test "$$(echo $(notdir $(STEP_DIR)) | cut -c1-2)" -ge 8 2>/dev/null || \
		{ echo "$(STEP_DIR) has no production mode: make serve runs step 08 or later."; exit 1; }
	@$(WAITRESS)

# The checks on mongomock, on every step each applies to (a browser check on the step that
# teaches it and the newest: the steps between, `carried`, serve the same page from the same
# code), then the non-browser ones once more on a fresh SecantusDB server: the same code on a
# real MongoDB protocol, on the step that teaches each check and the newest (the learner probe,
# which only re-runs checks, once is enough). Where SecantusDB does not install, one line says
# so (in CI, that fails).
# Each pytest process (the checks, and the learner runs they start) reuses the compiled checks
# and steps from __pycache__, even where the environment says not to write them.
test: export PYTHONDONTWRITEBYTECODE =
test: setup lint
	$(BIN)/pytest checks -m "not (browser and carried)"
	@$(MAKE) --no-print-directory $(VENV)/.secantus > $(VENV)/secantus-install.log 2>&1 \
		|| rm -f $(VENV)/.secantus
	@if [ -f $(VENV)/.secantus ]; then \
		echo '$(BIN)/pytest checks -m "not browser and not probe and not carried" --mongo=secantus'; \
		$(BIN)/pytest checks -m "not browser and not probe and not carried" --mongo=secantus; \
	elif [ "$(CI)" = true ]; then \
		cat $(VENV)/secantus-install.log; exit 1; \
	else \
		echo "SecantusDB does not install here ($(VENV)/secantus-install.log): mongomock only."; \
	fi

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Figures for bench/RESULTS.md: each script prints a Markdown table.
bench: $(VENV)/.installed
	$(BIN)/pip install --quiet --disable-pip-version-check -r bench/requirements.txt
	$(BIN)/python bench/machine.py
	$(BIN)/python bench/encoding.py
	$(BIN)/python bench/api_overhead.py
	$(BIN)/python bench/list_scale.py
	$(BIN)/python bench/bcrypt_cost.py
	$(BIN)/python bench/login_throttle.py
	$(BIN)/python bench/checks_time.py
	$(BIN)/python bench/startup.py
	$(BIN)/python bench/slow_clients.py

format: $(VENV)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# WORKSHOP.md's pictures, docs/screenshots/*.png: the browser checks marked `screenshot` take
# them on each step's demo database, as a learner's first `make run` shows it.
screenshots: setup
	$(BIN)/pytest checks/test_browser.py -m screenshot --screenshots docs/screenshots

# What a step changed since the one before it: make diff STEP=04
diff:
	@test -n "$(STEP_DIR)" || $(NO_STEP)
	@previous=$$(ls -d steps/$$(printf '%02d' $$(expr $(STEP) - 1))_* 2>/dev/null) || \
		{ echo "$(STEP_DIR) is the first step."; exit 1; }; \
	diff -ruN --exclude=__pycache__ $$previous $(STEP_DIR); test $$? -le 1

# Where a learner stands: make progress DIR=my_work/ (one folder per rebuilt step); a class:
# make progress DIR=class/ (one folder per learner, each holding their step folders)
progress: $(VENV)/.installed
	@$(BIN)/python tools/progress.py $(or $(DIR),my_work)

# A class's points as its GitHub Classroom workflow gives them, browser checks included:
# make grade DIR=class/ (docs/autograding.md)
grade: $(VENV)/.installed
	@$(BIN)/python tools/grade.py $(or $(DIR),my_work)

# One rebuilt step checked again at every save: make watch DIR=my_work/04_auth (Ctrl+C stops)
watch: $(VENV)/.installed
	@$(BIN)/python tools/watch.py $(or $(DIR),my_work)

# For maintainers (checks/README.md): carry a change of one step's file into the later steps that
# hold it (make carry FILE=steps/03_encoder/encoder.py), then write the exercises' patches again
# for the steps as they are now (make patches).
carry: $(VENV)/.installed
	@$(BIN)/python tools/carry.py $(FILE)

patches: $(VENV)/.installed
	@$(BIN)/python tools/patches.py

# A MongoDB server for the steps (SecantusDB) on 127.0.0.1:27017, its data kept in .mongo-data/.
MONGO_PORT ?= 27017
MONGO_DATA ?= .mongo-data
mongo: $(VENV)/.secantus
	@echo "SecantusDB on 127.0.0.1:$(MONGO_PORT) (Ctrl+C stops it). Use it from another terminal:" \
		"MONGO_URI=mongodb://127.0.0.1:$(MONGO_PORT)/ make run. A real MongoDB instead:" \
		"mongod --port $(MONGO_PORT) --dbpath DIR"
	$(BIN)/secantusd-py --host 127.0.0.1 --port $(MONGO_PORT) --storage-path $(MONGO_DATA)

clean:
	rm -rf $(VENV) frontend/node_modules frontend/public .pytest_cache .ruff_cache
