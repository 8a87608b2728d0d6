# Gatehouse: make run · make test · make bench
SHELL := /bin/bash
PORT ?= 8080
SWIFT ?= swift
VENV := $(CURDIR)/.venv
PY := $(VENV)/bin/python

DEBIAN_PACKAGES := libfcgi-dev libsqlite3-dev libssl-dev libargon2-dev libcrypt-dev pkg-config \
	nginx lighttpd spawn-fcgi wrk curl python3-venv sqlite3
PYPI_PACKAGES := pyjwt pwdlib[argon2,bcrypt] passlib bcrypt cryptography fastapi uvicorn python-multipart httpx

FUZZ_SECONDS ?= 60
FUZZ_RUNS ?= 20000

.PHONY: all deps venv build release run test unit integration bench fuzz fuzz-bounded clean

all: build

# Installs the Debian packages that are missing (apt-get update once, only when needed).
deps:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:" $$missing; \
		if [ "$$(id -u)" != 0 ]; then echo "run as root to install: $$missing" >&2; exit 1; fi; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

# The test/bench virtualenv: PyJWT, pwdlib, passlib, bcrypt, FastAPI, uvicorn.
venv: $(VENV)/.installed
$(VENV)/.installed: Makefile | deps
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check $(PYPI_PACKAGES)
	touch $@

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

run: release
	PORT=$(PORT) nginx/run-dev

unit: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --disable-swift-testing --filter GatehouseTests

test: deps venv
	$(SWIFT) build --build-tests
	GATEHOUSE_TEST_PYTHON=$(PY) $(SWIFT) test --skip-build --disable-swift-testing
	$(MAKE) fuzz-bounded

# libFuzzer + AddressSanitizer over every parser (Tests/Fuzz): each target FUZZ_SECONDS long,
# its corpus growing in .build-fuzz/corpus; fails on any crash, leak or sanitizer report.
fuzz: deps
	SWIFT=$(SWIFT) Tests/Fuzz/run --seconds $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# The same targets for FUZZ_RUNS inputs each, from the committed seeds only (part of make test).
fuzz-bounded: deps
	SWIFT=$(SWIFT) Tests/Fuzz/run --runs $(FUZZ_RUNS) $(FUZZ_TARGETS)

bench: release venv
	PY=$(PY) bench/run

clean:
	rm -rf .build .build-fuzz .venv run
