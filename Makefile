# Gatehouse: make run · make test · make bench
SHELL := /bin/bash
PORT ?= 8080
SWIFT ?= swift
VENV := $(CURDIR)/.venv
PY := $(VENV)/bin/python

DEBIAN_PACKAGES := libfcgi-dev libsqlite3-dev libssl-dev libargon2-dev libcrypt-dev pkg-config \
	nginx lighttpd spawn-fcgi wrk curl python3-venv sqlite3
PYPI_PACKAGES := pyjwt pwdlib[argon2,bcrypt] passlib bcrypt cryptography fastapi uvicorn python-multipart httpx

.PHONY: all deps venv build release run test unit integration bench readme-settings example clean

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

EXAMPLE := Examples/ProtectedReports

# The library example: a site's own server with Gatehouse's security (LibraryExampleTests).
example: deps
	$(SWIFT) build --package-path $(EXAMPLE)

test: deps venv example
	$(SWIFT) build --build-tests
	GH_TEST_PYTHON=$(PY) GH_EXAMPLE_BIN=$$($(SWIFT) build --package-path $(EXAMPLE) --show-bin-path)/protected-reports \
		$(SWIFT) test --skip-build --disable-swift-testing

bench: release venv
	PY=$(PY) bench/run

# Rewrites the README's settings table (between the settings markers) from the code's table.
readme-settings: build
	@bin=$$($(SWIFT) build --show-bin-path)/gatehouse; \
	$$bin config readme > README.settings.tmp && \
	awk '/^<!-- settings:begin/ { print; while ((getline line < "README.settings.tmp") > 0) print line; skip = 1; next } \
	     /^<!-- settings:end/ { skip = 0 } !skip' README.md > README.md.tmp && \
	mv README.md.tmp README.md && rm README.settings.tmp

clean:
	rm -rf .build .venv run $(EXAMPLE)/.build
