# cribwatch: every target sets itself up (venv, pip, Debian packages) on a fresh machine.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# Debian packages the project and its tests need (installed only where missing): espeak-ng (cry
# sets), the C toolchain of board/ (gcc, make; the MIPS cross compiler and qemu), clang (the
# libFuzzer targets), valgrind (board bench); for the monitor's tests: ffmpeg (a live UDP stream),
# mosquitto (a real MQTT broker), chromium and chromium-driver (the page in a headless browser),
# openssl (a certificate for the TLS test).
# Optional (best effort; the tests that need them skip with the reason): a real RTSP server for the
# monitor's RTSP test (GStreamer's gst-rtsp-server through the system python3).
APT_OPTIONAL ?= gir1.2-gst-rtsp-server-1.0 python3-gst-1.0 gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
APT_PACKAGES ?= espeak-ng gcc make gcc-mipsel-linux-gnu qemu-user-static clang valgrind \
	ffmpeg mosquitto chromium chromium-driver openssl

.PHONY: venv install apt demo test lint bench results clean board tflite-venv wheel-check fuzz

$(BIN)/python:
	@command -v $(PY) >/dev/null 2>&1 || { echo "error: $(PY) not found (cribwatch needs Python 3.11)"; exit 2; }
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade "pip>=24"

# The development install: runtime + extras train, rollover, dev; MediaPipe without its metadata's
# dependencies (the `rollover` extra carries what it needs).
$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e ".[train,rollover,dev]"
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
	@missing=""; for p in $(APT_OPTIONAL); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing optional Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  { $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; } \
	    || echo "warning: could not install$$missing (the tests that need them skip and say why)"; \
	fi

demo: install
	$(BIN)/cribwatch demo --out demo-report
	@echo "demo report: $(CURDIR)/demo-report/index.html"

# The layers (docs/ARCHITECTURE.md): import-linter's contracts in pyproject.toml, and
# tools/check_layers.py for what it cannot see (print/exit/typer in library code, lazy imports,
# module cycles).
lint: install
	$(BIN)/ruff check cribwatch tests tools
	$(BIN)/ruff format --check cribwatch tests tools
	$(BIN)/mypy cribwatch tools
	$(BIN)/lint-imports --no-cache
	$(BIN)/python tools/check_layers.py

test: install lint
	$(BIN)/pytest

# The runtime-only wheel in a clean venv (no extras, no torch), run from outside the checkout:
# `cribwatch --help`, `cry detect`, `color colorize`, the roll-over detector. Takes minutes.
wheel-check: $(BIN)/python
	$(BIN)/python tools/wheel_check.py --python $(PY)

board: install
	$(BIN)/cribwatch board check --target host
	@if command -v mipsel-linux-gnu-gcc >/dev/null && command -v qemu-mipsel-static >/dev/null; then \
	  $(BIN)/cribwatch board check --target mipsel; fi

# Speed and memory figures (p50/p90 over many runs); benchmarks, never timed unit tests.
bench: install fuzz
	$(BIN)/cribwatch color bench --json
	$(BIN)/cribwatch cry bench --json
	$(BIN)/cribwatch rollover bench --json
	$(BIN)/cribwatch board bench --json

# libFuzzer targets of the C runtime (clang, ASan, UBSan), FUZZ_SECONDS each from an empty corpus.
FUZZ_SECONDS ?= 60
BOARD_SRC ?= $(patsubst %/,%,$(dir $(firstword $(wildcard board/Makefile cribwatch/board/*/Makefile))))
FUZZ_OUT := $(CURDIR)/build/fuzz
fuzz: apt
	$(MAKE) -C $(BOARD_SRC) fuzz OUT=$(FUZZ_OUT)
	@for t in $(FUZZ_OUT)/fuzz/fuzz_*; do \
	  c=$(FUZZ_OUT)/corpus/$$(basename $$t); mkdir -p $$c; \
	  echo "fuzzing $$(basename $$t) for $(FUZZ_SECONDS) s"; \
	  $$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 $$c || exit 1; \
	done

clean:
	rm -rf $(VENV) .venv-tflite build *.egg-info demo-report

# TFLite export (`cribwatch color export --format tflite`) needs litert-torch, whose protobuf 6+
# conflicts with MediaPipe's and onnx 1.17's pins: it gets its own environment.
tflite-venv: .venv-tflite/.installed
.venv-tflite/.installed: pyproject.toml
	$(PY) -m venv .venv-tflite
	.venv-tflite/bin/pip install -q -e ".[tflite]"
	@touch $@
