# cribwatch: every target sets itself up (venv, pip, Debian packages) on a fresh machine.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# Debian packages the project needs at run time (installed only where missing).
APT_PACKAGES ?= espeak-ng gcc-mipsel-linux-gnu qemu-user-static

.PHONY: venv install apt demo test lint bench results clean board tflite-venv

$(BIN)/python:
	@command -v $(PY) >/dev/null 2>&1 || { echo "error: $(PY) not found (cribwatch needs Python 3.11)"; exit 2; }
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade "pip>=24"

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e ".[dev]"
	$(BIN)/pip install -q --no-deps "mediapipe==0.10.14"
	@touch $(STAMP)

venv: $(STAMP)
install: apt $(STAMP)

apt:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

demo: install
	$(BIN)/cribwatch demo --out demo-report
	@echo "demo report: $(CURDIR)/demo-report/index.html"

lint: install
	$(BIN)/ruff check cribwatch tests
	$(BIN)/ruff format --check cribwatch tests
	$(BIN)/mypy cribwatch

test: lint
	$(BIN)/pytest

board: install
	$(BIN)/cribwatch board check --target host
	@if command -v mipsel-linux-gnu-gcc >/dev/null && command -v qemu-mipsel-static >/dev/null; then \
	  $(BIN)/cribwatch board check --target mipsel; fi

# Speed and memory figures (p50/p90 over many runs); benchmarks, never timed unit tests.
bench: install
	$(BIN)/cribwatch color bench --json
	$(BIN)/cribwatch cry bench --json
	$(BIN)/cribwatch rollover bench --json
	$(BIN)/cribwatch board bench --json

clean:
	rm -rf $(VENV) .venv-tflite build *.egg-info demo-report

# TFLite export (`cribwatch color export --format tflite`) needs litert-torch, whose protobuf 6+
# conflicts with MediaPipe's and onnx 1.17's pins: it gets its own environment.
tflite-venv: .venv-tflite/.installed
.venv-tflite/.installed: pyproject.toml
	$(PY) -m venv .venv-tflite
	.venv-tflite/bin/pip install -q "torch==2.13.0" litert-torch kornia
	.venv-tflite/bin/pip install -q --no-deps -e .
	@touch $@
