# The two commands: `make demo` runs the main job, `make test` proves it.
# Each installs the Debian packages it needs when they are missing (as root).

BUILD_PACKAGES := libgnutls28-dev libnghttp2-dev zlib1g-dev pkg-config
PEER_PACKAGES  := nginx gnutls-bin softhsm2 nghttp2-server curl tinyproxy
PYTHON_PACKAGES := h2 google-auth google-cloud-storage google-cloud-pubsub google-cloud-secret-manager
FUZZ_SECONDS   ?= 60
SOAK_SECONDS   ?= 1800
SOFTHSM_DIR    := $(CURDIR)/.build/softhsm

.PHONY: all build demo test deps peers check-dependencies clean generate check-deep fuzz softhsm

all: build

deps:
	@scripts/install-deps.sh $(BUILD_PACKAGES)

peers: deps
	@scripts/install-deps.sh $(PEER_PACKAGES)
	@# Test peers need Python h2, google-auth and Google's client libraries (PyPI, tests only);
	@# Debian's own Python wants the override.
	@python3 -c 'import h2, google.auth, cryptography, google.cloud.storage, google.cloud.pubsub, google.cloud.secretmanager' 2>/dev/null || python3 -m pip install --quiet $(PYTHON_PACKAGES) \
		|| python3 -m pip install --quiet --break-system-packages $(PYTHON_PACKAGES)

build: deps
	swift build

## demo: the examples against the local emulator over mTLS + HTTP/2 (scripts/demo.sh says what runs).
demo: peers
	@scripts/demo.sh

check-dependencies:
	@scripts/check-dependencies.sh

## test: every test against real peers on 127.0.0.1, a 60 s soak, then the demo as a smoke run.
test: peers check-dependencies softhsm
	@# At most 8 tests at once: unbounded, ~250 tests starting together on two cores starve the
	@# event loops for seconds and make the timing assertions (deadlines, timeouts) meaningless.
	SOFTHSM2_CONF=$(SOFTHSM_DIR)/softhsm2.conf SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH=8 swift test
	@# 60 s of mixed calls at 200 concurrent streams against the emulator with faults injected.
	swift build --product soak
	"$$(swift build --show-bin-path)/soak" --seconds 60 --concurrency 200
	$(MAKE) --no-print-directory demo

## softhsm: a fresh SoftHSM2 token directory for the PKCS#11 tests.
softhsm:
	rm -rf $(SOFTHSM_DIR) && mkdir -p $(SOFTHSM_DIR)/tokens
	printf 'directories.tokendir = %s\nobjectstore.backend = file\n' $(SOFTHSM_DIR)/tokens > $(SOFTHSM_DIR)/softhsm2.conf

## check-deep: the suite under ThreadSanitizer and AddressSanitizer, every fuzz target (FUZZ_SECONDS,
## default 60) and the soak (SOAK_SECONDS, default 1800), then a summary table.
check-deep: peers softhsm
	SOFTHSM2_CONF=$(SOFTHSM_DIR)/softhsm2.conf FUZZ_SECONDS=$(FUZZ_SECONDS) SOAK_SECONDS=$(SOAK_SECONDS) scripts/check-deep.sh

## fuzz: only the fuzz targets, FUZZ_SECONDS each (TARGETS="pem discovery" for some).
fuzz: deps
	scripts/fuzz.sh $(FUZZ_SECONDS) $(TARGETS)

## generate: regenerate the typed API modules from Discovery documents (API=name:version for one more).
generate: deps
	@scripts/generate.sh $(API)

clean:
	swift package clean
	rm -rf $(SOFTHSM_DIR)
