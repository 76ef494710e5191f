# The README's two commands. Both install what is missing on a fresh Debian 12
# machine first (apt packages), so each works on its own from a clean clone.
SWIFT ?= swift
APT_PACKAGES = libblas-dev libopenblas0-pthread libsqlite3-dev libssl-dev
OUT ?= out

.PHONY: deps build sample test bench-build clean

# Install the C libraries the engine links (BLAS through OpenBLAS, SQLite, libcrypto).
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build -c release --product kindred

# The nightly job on the bundled sample data.
sample: build
	mkdir -p $(OUT)
	.build/release/kindred run --profiles data/profiles.csv --tags data/tags.csv \
	  --exclusions data/exclusions.csv --config data/kindred.toml \
	  --db $(OUT)/kindred.sqlite --json $(OUT)/kindred.json

# The test suite (Swift Testing).
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

clean:
	rm -rf .build $(OUT)
