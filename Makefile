# Gatehouse: make run · make test · make bench · make attack · make soak · make install · make deb
SHELL := /bin/bash
PORT ?= 8080
SWIFT ?= swift
VENV := $(CURDIR)/.venv
PY := $(VENV)/bin/python

DEBIAN_PACKAGES := libfcgi-dev libsqlite3-dev libssl-dev libargon2-dev libcrypt-dev pkg-config \
	nginx lighttpd spawn-fcgi wrk curl python3-venv sqlite3 \
	dpkg-dev lintian systemd adduser \
	libcurl4-openssl-dev libqrencode-dev libpq-dev postgresql chromium chromium-driver prometheus valgrind
PYPI_PACKAGES := pyjwt pwdlib[argon2,bcrypt] passlib bcrypt cryptography fastapi uvicorn python-multipart httpx \
	selenium schemathesis sqlmap aiosmtpd pyotp matplotlib \
	swagger-ui-py
# swagger-ui-py: Swagger UI 5's dist files (OpenAPI 3.1, which Swagger UI 4 cannot read) for
# {prefix}/docs, served from this site, never a CDN. Debian's copies (inside r-cran-swagger
# 3.33 and python3-flasgger 0.9.5) are Swagger UI 3, which cannot read OpenAPI 3.1; make
# swagger-ui copies only the browser files out of the venv.
SWAGGER_UI := .build/swagger-ui
SWAGGER_UI_FILES := swagger-ui-bundle.js swagger-ui.css oauth2-redirect.html favicon-32x32.png

FUZZ_SECONDS ?= 60
FUZZ_RUNS ?= 5000

# The release binary: the Swift standard library and FoundationEssentials linked in, so that
# only Debian's own libraries remain (ldd); no $$ORIGIN rpath; relocations read-only at start
# (-z now, as Debian's hardening asks), linked by lld with its relative relocations packed
# (DT_RELR, glibc 2.36): a megabyte less of table for the loader to read at every CGI start.
# The manual plugin builds with the same flags, so it reuses this build instead of making another.
RELEASE_FLAGS := -c release -Xswiftc -static-stdlib -Xswiftc -use-ld=lld --disable-local-rpath \
	-Xlinker -z -Xlinker now -Xlinker -z -Xlinker pack-relative-relocs
RELEASE_BIN := .build/release/gatehouse

# make install PREFIX=/usr/local DESTDIR=/tmp/stage: the same files the .deb holds.
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
DOCDIR ?= $(DATADIR)/doc/gatehouse
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
UNITDIR ?= $(if $(filter /usr,$(PREFIX)),/lib/systemd/system,$(PREFIX)/lib/systemd/system)
ZSHDIR ?= $(if $(filter /usr,$(PREFIX)),$(DATADIR)/zsh/vendor-completions,$(DATADIR)/zsh/site-functions)
# The web server's group: the only one, besides Gatehouse, that may connect to the sockets.
SOCKET_GROUP ?= www-data
# Generated files (man pages, completions, settings file, unit, nginx snippets).
GENERATED := .build/generated
# Where `make deb` writes the path of the package it built (make test hands it to the tests).
DEB_NAME := .build/deb-name

.PHONY: all deps venv build release hotpath run test unit integration bench readme-settings example clean generated install deb fuzz fuzz-bounded swagger-ui attack soak test-side test-postgresql

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

# Swagger UI's files for {prefix}/docs, out of the venv's swagger-ui-py (nginx serves them).
swagger-ui: $(SWAGGER_UI)/.copied
$(SWAGGER_UI)/.copied: $(VENV)/.installed
	static=$$($(PY) -c 'import importlib.util, os; print(os.path.join(os.path.dirname(importlib.util.find_spec("swagger_ui").origin), "static"))') && \
	mkdir -p $(SWAGGER_UI) && cp $(addprefix $$static/,$(SWAGGER_UI_FILES)) $(SWAGGER_UI)/
	touch $@

build: deps
	$(SWIFT) build

# Only the command: a release build of every target stops at Tests/PostgreSQLSupport, which
# imports XCTest (found only for debug and test builds).
release: deps
	$(SWIFT) build $(RELEASE_FLAGS) --product gatehouse

run: release swagger-ui
	PORT=$(PORT) nginx/run-dev

# The library's tests, then again with every store in a private PostgreSQL (test-postgresql).
unit: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --disable-swift-testing --filter GatehouseTests
	$(MAKE) --no-print-directory test-postgresql TEST_BIN=$$($(SWIFT) build --show-bin-path)

EXAMPLE := Examples/ProtectedReports

# The library example: a site's own server with Gatehouse's security (LibraryExampleTests).
example: deps
	$(SWIFT) build --package-path $(EXAMPLE)

# Two streams at once, since the integration pass mostly waits on its servers: the whole suite
# in front, and meanwhile test-postgresql and the bounded fuzz, into .build/test-logs/side.log,
# printed when both are done.
TEST_LOGS := .build/test-logs
test: deps venv swagger-ui deb example
	$(SWIFT) build --build-tests
	@mkdir -p $(TEST_LOGS); bin=$$($(SWIFT) build --show-bin-path); \
	echo "PostgreSQL pass and bounded fuzz meanwhile, into $(TEST_LOGS)/side.log"; \
	$(MAKE) --no-print-directory test-side TEST_BIN=$$bin >$(TEST_LOGS)/side.log 2>&1 & side=$$!; \
	GH_TEST_PYTHON=$(PY) GH_TEST_DEB=$$(cat $(DEB_NAME)) \
		GH_EXAMPLE_BIN=$$($(SWIFT) build --package-path $(EXAMPLE) --show-bin-path)/protected-reports \
		$(SWIFT) test --skip-build --disable-swift-testing; main=$$?; \
	wait $$side; side_status=$$?; cat $(TEST_LOGS)/side.log; \
	echo "make test: whole suite $$([ $$main = 0 ] && echo passed || echo FAILED)," \
		"PostgreSQL pass and fuzz $$([ $$side_status = 0 ] && echo passed || echo FAILED)"; \
	[ $$main = 0 ] && [ $$side_status = 0 ]

test-side:
	$(MAKE) --no-print-directory test-postgresql
	$(MAKE) --no-print-directory fuzz-bounded

# The library's tests again with every store in a private PostgreSQL (GH_TEST_STORE), all but
# HostileInputTests, whose random requests the SQLite pass covers. It runs the test bundle in
# TEST_BIN itself: `swift test` holds .build's lock, which the integration pass may hold meanwhile.
test-postgresql:
	GH_TEST_STORE=postgresql $(TEST_BIN)/GatehousePackageTests.xctest \
		$$($(TEST_BIN)/GatehousePackageTests.xctest --list-tests | sed -n 's|^\(GatehouseTests\.[A-Za-z0-9]*\)/.*|\1|p' \
			| grep -vx GatehouseTests.HostileInputTests | sort -u | paste -sd, -)

# libFuzzer + AddressSanitizer over every parser (Tests/Fuzz): each target FUZZ_SECONDS long,
# its corpus growing in .build-fuzz/corpus; fails on any crash, leak or sanitizer report.
fuzz: deps
	SWIFT=$(SWIFT) Tests/Fuzz/run --seconds $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# The same targets for FUZZ_RUNS inputs each, from the committed seeds only (part of make test).
fuzz-bounded: deps
	SWIFT=$(SWIFT) Tests/Fuzz/run --runs $(FUZZ_RUNS) $(FUZZ_TARGETS)

# The in-process request path measured by bench (m) (bench/hotpath), with the release flags.
hotpath: deps
	$(SWIFT) build $(RELEASE_FLAGS) --product gatehouse-hotpath

bench: release hotpath venv
	PY=$(PY) bench/run

# Against a private nginx + Gatehouse: whether a login's time tells an unknown user from a
# wrong password (Tests/attack/login-timing, default Argon2 cost), then sqlmap at level 3 and
# risk 2 on every endpoint that takes input (Tests/attack/sqlmap-run); long, not in make test.
attack: release venv
	GH_BIN=$(CURDIR)/$(RELEASE_BIN) $(PY) Tests/attack/login-timing
	GH_BIN=$(CURDIR)/$(RELEASE_BIN) $(PY) Tests/attack/sqlmap-run

# SOAK_MINUTES of mixed load through nginx (RSS, open files, database size and req/s to
# .build/soak/soak.csv and soak.png), then schemathesis for SOAK_CONTRACT_SECONDS per credential.
SOAK_MINUTES ?= 30
SOAK_CONTRACT_SECONDS ?= 300
soak: release venv
	GH_BIN=$(CURDIR)/$(RELEASE_BIN) SOAK_MINUTES=$(SOAK_MINUTES) SOAK_CONTRACT_SECONDS=$(SOAK_CONTRACT_SECONDS) \
		$(PY) Tests/soak/soak.py

# Everything `install` copies that the repository does not hold as is, derived from the
# release binary: its --help (man pages, through argument-parser's generate-manual
# plugin), its completion scripts and `config example` (every setting, commented).
generated: release
	rm -rf $(GENERATED) && mkdir -p $(GENERATED)/man $(GENERATED)/completions $(GENERATED)/nginx
	$(SWIFT) package $(RELEASE_FLAGS) generate-manual --multi-page \
		--date $$(git log -1 --format=%cs 2>/dev/null || date -u +%F) --authors 'Gatehouse developers' >/dev/null
	cp .build/plugins/GenerateManual/outputs/gatehouse/*.1 $(GENERATED)/man/
	rm -f $(GENERATED)/man/gatehouse.help.1
	debian/manual-names $(GENERATED)/man/*.1
	gzip -9n $(GENERATED)/man/*.1
	$(RELEASE_BIN) --generate-completion-script bash | sed '1{/^#!/d}' > $(GENERATED)/completions/gatehouse
	$(RELEASE_BIN) --generate-completion-script zsh > $(GENERATED)/completions/_gatehouse
	$(RELEASE_BIN) --generate-completion-script fish > $(GENERATED)/completions/gatehouse.fish
	$(RELEASE_BIN) config example | debian/package-settings $(SOCKET_GROUP) > $(GENERATED)/gatehouse.conf
	sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' -e 's|@SOCKET_GROUP@|$(SOCKET_GROUP)|g' \
		debian/gatehouse.service > $(GENERATED)/gatehouse.service
	for f in gatehouse.conf gatehouse-single-pool.conf auth-request.conf auth-request-throttle.conf auth-request-signin.conf; do \
		sed -e 's|/path/to/gatehouse/nginx/|$(DATADIR)/gatehouse/nginx/|g' \
			-e 's|/path/to/gatehouse/swagger-ui/|$(DATADIR)/gatehouse/swagger-ui/|g' \
			-e 's|unix:[^ ;]*/gatehouse\(-login\)\{0,1\}\.sock|unix:/run/gatehouse/gatehouse\1.sock|g' \
			nginx/$$f > $(GENERATED)/nginx/$$f; \
	done

# The settings file is never overwritten: an existing one is the administrator's.
install: generated swagger-ui
	install -D -m 0755 $(RELEASE_BIN) $(DESTDIR)$(BINDIR)/gatehouse
	strip --strip-unneeded --remove-section=.comment --remove-section=.note $(DESTDIR)$(BINDIR)/gatehouse
	install -D -m 0644 -t $(DESTDIR)$(MANDIR)/man1 $(GENERATED)/man/*.1.gz
	install -D -m 0644 $(GENERATED)/completions/gatehouse $(DESTDIR)$(DATADIR)/bash-completion/completions/gatehouse
	install -D -m 0644 $(GENERATED)/completions/_gatehouse $(DESTDIR)$(ZSHDIR)/_gatehouse
	install -D -m 0644 $(GENERATED)/completions/gatehouse.fish $(DESTDIR)$(DATADIR)/fish/vendor_completions.d/gatehouse.fish
	install -D -m 0644 -t $(DESTDIR)$(DATADIR)/gatehouse/nginx $(GENERATED)/nginx/*.conf
	install -D -m 0644 -t $(DESTDIR)$(DATADIR)/gatehouse/swagger-ui $(addprefix $(SWAGGER_UI)/,$(SWAGGER_UI_FILES))
	install -D -m 0644 $(GENERATED)/gatehouse.service $(DESTDIR)$(UNITDIR)/gatehouse.service
	install -D -m 0644 -t $(DESTDIR)$(DOCDIR) README.md CHANGELOG.md LICENSE
	[ -e $(DESTDIR)$(SYSCONFDIR)/gatehouse/gatehouse.conf ] || \
		install -D -m 0644 $(GENERATED)/gatehouse.conf $(DESTDIR)$(SYSCONFDIR)/gatehouse/gatehouse.conf

# gatehouse_<version>_amd64.deb, the version from the binary (Version.current).
deb: release
	$(MAKE) --no-print-directory install PREFIX=/usr DESTDIR=$(CURDIR)/$(GENERATED)/root SOCKET_GROUP=www-data
	debian/build-deb $(GENERATED)/root $(RELEASE_BIN) . > $(DEB_NAME)
	@echo "built $$(cat $(DEB_NAME))"

# Rewrites the README's settings table (between the settings markers) from the code's table.
readme-settings: build
	@bin=$$($(SWIFT) build --show-bin-path)/gatehouse; \
	$$bin config readme > README.settings.tmp && \
	awk '/^<!-- settings:begin/ { print; while ((getline line < "README.settings.tmp") > 0) print line; skip = 1; next } \
	     /^<!-- settings:end/ { skip = 0 } !skip' README.md > README.md.tmp && \
	mv README.md.tmp README.md && rm README.settings.tmp

clean:
	rm -rf .build .build-fuzz .venv run gatehouse_*.deb $(EXAMPLE)/.build
