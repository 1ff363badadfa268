# sllm-doctor — build, run, test. Installs the system packages it needs (Debian/Ubuntu).
SHELL := /bin/bash
export PATH := $(PATH):/opt/swift/usr/bin
APT_PACKAGES := libmount-dev libblkid-dev pkg-config e2fsprogs util-linux fdisk git python3 python3-pip \
                docker.io docker-compose debootstrap
PY_PACKAGES := safetensors tokenizers numpy kubernetes
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
BIN := .build/release/sllm-doctor

.PHONY: deps build doctor test perf fuzz bench-selftest static dist clean

deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; fi
	@python3 -c "import safetensors, tokenizers, numpy, kubernetes" 2>/dev/null || \
	  python3 -m pip install -q $(PY_PACKAGES) 2>/dev/null || python3 -m pip install -q --break-system-packages $(PY_PACKAGES)
	@command -v swift >/dev/null || { echo "swift not found (expected on PATH or in /opt/swift/usr/bin)"; exit 1; }
	@# compose v2 (trixie's plugin) for the tests that compare verdicts with its `config`; a
	@# failure here is reported again by those tests (and fails them under SLLM_REQUIRE_DOCKER=1).
	@[ "$$(id -u)" != 0 ] || scripts/compose-v2-plugin.sh >/dev/null || true

# The release binary, built for check's start (each figure: ms of every `check`, measured in
# `make perf`'s VM; docs/perf.md has the method):
# - the C++ runtime the Swift runtime needs is linked in (a folder holding only libstdc++.a
#   comes first on the search path): loading libstdc++.so and binding its symbols, about 0.6;
# - generic types' metadata comes from their accessors, not from mangled names: a mangled name
#   makes the runtime prove each generic requirement (String: Hashable, ProcessError: Error) by
#   scanning every conformance in the binary, 50-185 us a scan, about 0.6 in all;
# - no prespecialized generic metadata: registering it with the runtime on first use, about 0.2;
# - lld places the functions a check runs together (scripts/check-functions.order, written by
#   scripts/order-functions.py): 44 code page faults instead of 112, about 1;
# - packed relative relocations where glibc reads them (2.36 and later; a binary from `make
#   dist` then needs that glibc too): the 1.9 MB relocation table becomes 15 KB, about 0.2.
STATIC_CXX := .build/static-cxx
RELR := $(shell printf '2.36\n%s\n' "$$(getconf GNU_LIBC_VERSION 2>/dev/null | cut -d' ' -f2)" | sort -V -C 2>/dev/null \
          && echo -Xlinker -z -Xlinker pack-relative-relocs)
RELEASE_FLAGS := -Xlinker -L$(CURDIR)/$(STATIC_CXX) -Xswiftc -Xclang-linker -Xswiftc -static-libgcc \
  -Xswiftc -Xfrontend -Xswiftc -disable-concrete-type-metadata-mangled-name-accessors \
  -Xswiftc -Xfrontend -Xswiftc -disable-generic-metadata-prespecialization \
  -Xswiftc -use-ld=lld -Xlinker --symbol-ordering-file=$(CURDIR)/scripts/check-functions.order \
  -Xlinker --no-warn-symbol-ordering $(RELR)
build: deps
	@cxx=$$(clang -print-file-name=libstdc++.a); \
	  if [ ! -f "$$cxx" ]; then echo "installing: g++ (for libstdc++.a)"; \
	    $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq g++ >/dev/null; \
	    cxx=$$(clang -print-file-name=libstdc++.a); fi; \
	  [ -f "$$cxx" ] || { echo "libstdc++.a not found for clang (libstdc++-dev of the GCC that clang picks)"; exit 1; }; \
	  mkdir -p $(STATIC_CXX) && ln -sf "$$cxx" $(STATIC_CXX)/libstdc++.a
	@# The order file is no input SwiftPM tracks: a newer one must force the link.
	@[ ! -e $(BIN) ] || [ $(BIN) -nt scripts/check-functions.order ] || rm -f $(BIN)
	swift build -c release --static-swift-stdlib --product sllm-doctor $(RELEASE_FLAGS)

# The main job: check this host with sensible defaults (exit 1 = the doctor found failures).
doctor: build
	@$(BIN) check $(ARGS); rc=$$?; if [ $$rc -eq 1 ]; then echo "(sllm-doctor found problems: see above)"; fi; [ $$rc -le 1 ]

# The compose tests run against a private dockerd that this wrapper starts and stops; the vLLM
# loader plugin's own tests (layout, index, dtype rules) run on CPU with the stdlib's unittest;
# the snapshot tests (bench's snapshot variants and vllm_snapshot's own) dump and restore the
# loopback stand-in with a real CRIU (Debian's, fetched once into /var/cache/sllm-doctor by
# scripts/fetch-criu.sh, or SLLM_CRIU as given; root only).
test: deps
	export SLLM_CRIU="$${SLLM_CRIU:-$$(scripts/fetch-criu.sh || true)}"; \
	  scripts/with-test-docker.sh swift test && \
	  python3 -m unittest discover -s integrations/vllm-serverless-llm/tests && \
	  python3 -m unittest discover -s integrations/vllm-template/tests && \
	  python3 -m unittest discover -s integrations/vllm-snapshot/tests
	python3 -m unittest discover -s Tests/Manifests

# Speed of `check` against the runbook's shell steps, and synth-model's write speed.
perf: build
	@scripts/perf.sh $(BIN)

# Not part of `make test`: a million inputs per parser takes minutes. FUZZ_RUNS=N to change.
fuzz: deps
	@scripts/fuzz.sh $(or $(FUZZ_RUNS),1000000)

static: build

# A packaged release: the same static binary, stripped (82 MB → 60 MB), and xz-compressed (about 16 MB).
dist: build
	mkdir -p .build/dist && strip -o .build/dist/sllm-doctor $(BIN) && xz -6 -T0 -kf .build/dist/sllm-doctor
	@ls -la .build/dist

clean:
	rm -rf .build
