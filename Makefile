# Hyperkeep. The README's two commands: `make demo` and `make test`. Each installs what it needs.
SHELL := /bin/bash
.DEFAULT_GOAL := help
# Electron's binary cannot be downloaded everywhere; its types are all the build needs.
export ELECTRON_SKIP_BINARY_DOWNLOAD := 1
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
NPX := npx --no-install

.PHONY: help deps build lint typecheck test test-unit test-integration test-e2e demo lab lab-stop clean

help:
	@echo "make demo   build, start the lab hypervisors and the console, print what to click"
	@echo "make test   install, lint, type-check, unit + integration + end-to-end tests"
	@echo "make lab | lab-stop | build"

.tmp/debian.stamp: scripts/install-debian-packages.sh
	@mkdir -p .tmp
	./scripts/install-debian-packages.sh
	@touch $@

# npm install rather than npm ci: this npm (11.19) rejects its own lock file in `ci` when platform
# packages of optional native deps have no "resolved" entry; install still honours the lock.
node_modules/.stamp: package.json package-lock.json
	npm install --no-audit --no-fund
	@touch $@

deps: .tmp/debian.stamp node_modules/.stamp

build: deps
	$(NPX) electron-vite build
	node_modules/.bin/node scripts/build-cli.mjs

lint: deps
	$(NPX) eslint .
	$(NPX) prettier --check .

typecheck: deps
	$(NPX) tsc --noEmit -p tsconfig.json

test-unit: deps
	node_modules/.bin/node scripts/run-tests.mjs unit

test-integration: deps
	node_modules/.bin/node scripts/run-tests.mjs integration

test-e2e: build
	node_modules/.bin/node scripts/run-tests.mjs e2e

# One vitest run per suite (the lab starts once for integration + e2e), then one summary line.
test: deps build lint typecheck
	node_modules/.bin/node scripts/run-tests.mjs unit integration e2e

lab: deps
	$(NPX) tsx test/harness/lab-cli.ts start

lab-stop: deps
	$(NPX) tsx test/harness/lab-cli.ts stop

demo: build
	./scripts/demo.sh


clean:
	-$(NPX) tsx test/harness/lab-cli.ts stop
	rm -rf out .tmp
