# backplane build and test targets. `make test` is what CI runs.
GO      ?= go
# Fuzz runs are bounded by a count, not a duration: a duration-bounded run can
# fail at its deadline with "context deadline exceeded" (golang/go#75804).
FUZZTIME ?= 200000x

.PHONY: test vet fmt-check unit fuzz bench demo coreml coreml-test ort xla cpu-arm64 cpu-asm node-suite-update

test: fmt-check vet unit fuzz cpu-arm64

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

unit:
	# race_mu: go-xla's per-P buffer-arena pool (internal/pool) is safe by
	# procPin, which the race detector cannot see; with this tag it takes a
	# mutex the detector understands (without it, concurrent xla runs report
	# races inside go-xla).
	$(GO) test -race -tags race_mu -count=1 -timeout 30m ./...
	# Full-size zoo models, gomlx and xla (with make xla's plugin) vs ref, and
	# the window ops on XLA with each lowering forced: too slow under the race
	# detector, so without it.
	$(GO) test -count=1 -run '^(TestZooParity|TestConformanceXLALowerings)$$' ./backends/xla
	# Full-size zoo models, cpu vs ref, likewise without the race detector.
	$(GO) test -count=1 -run '^TestZooParity$$' ./backends/cpu
	# Issue 15's attacks that compute or compile at full size: too slow under the race detector.
	$(GO) test -count=1 ./internal/hostile
	# ONNX's operator tests on xla (make xla's plugin; skips without it unless
	# BACKPLANE_REQUIRE_XLA=1): ref and gomlx run in the race pass above.
	GOMLX_NO_AUTO_INSTALL=1 $(GO) test -count=1 -run '^TestNodeSuite$$' ./models/onnx/onnxtest -node-backends xla
	# Exported zoo models on ONNX Runtime vs ref (skips, saying why, without make ort).
	$(GO) test -count=1 -run '^TestExportedZooOnORTMatchesRef$$' ./internal/zoobench
	# The Core ML backend's bridge glue against the bridge's C test double (Linux only).
	if [ "$$(uname)" = Linux ]; then $(GO) test -race -count=1 -tags coremldouble ./backends/coreml/...; fi

# Short runs of every fuzz target (one target per go test invocation).
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzUnmarshalArtifact$$' -fuzztime $(FUZZTIME) ./runtime
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeBody$$' -fuzztime $(FUZZTIME) ./runtime
	$(GO) test -run '^$$' -fuzz '^FuzzRead$$' -fuzztime $(FUZZTIME) ./tensor/npy
	$(GO) test -run '^$$' -fuzz '^FuzzShapes$$' -fuzztime $(FUZZTIME) ./tensor
	$(GO) test -run '^$$' -fuzz '^FuzzOp$$' -fuzztime $(FUZZTIME) ./ops/reference
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeModel$$' -fuzztime $(FUZZTIME) ./models/onnx/onnxpb
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeTensor$$' -fuzztime $(FUZZTIME) ./models/onnx/onnxpb
	$(GO) test -run '^$$' -fuzz '^FuzzExport$$' -fuzztime $(FUZZTIME) ./models/onnx

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# Regenerate the node suite's expected-outcome lists (models/onnx/onnxtest/
# testdata/node_expected_*.txt) from a run over ../shared/testdata/onnx-node;
# `make test` fails when an outcome differs from them. Review the diff. xla's
# list is rewritten when its plugin is installed (make xla), else skipped.
node-suite-update:
	GOMLX_NO_AUTO_INSTALL=1 $(GO) test -count=1 -run '^TestNodeSuite$$' ./models/onnx/onnxtest -update -node-backends ref,gomlx,xla

demo:
	$(GO) run ./cmd/backplane demo

# Core ML (macOS 12+ with Xcode's swift): build the Swift bridge, then the Go
# side with -tags coreml, which links it. Elsewhere the coreml backend is
# built unavailable and its binding is tested against a C test double.
coreml:
	@if [ "$$(uname)" != Darwin ]; then \
		echo "make coreml needs macOS 12+ with Xcode (swift); on $$(uname) the coreml backend is registered as unavailable and its Go binding is tested against a C test double by make test"; \
		exit 1; fi
	cd bridge/swift && swift build -c release
	$(GO) vet -tags coreml ./backends/coreml/...
	$(GO) build -tags coreml ./...

coreml-test: coreml
	cd bridge/swift && swift test
	$(GO) test -count=1 -tags coreml ./backends/coreml/...
	$(GO) run -tags coreml ./cmd/backplane check --backend coreml ../shared/testdata/onnx || true
	$(GO) run -tags coreml ./cmd/backplane demo

# ONNX Runtime's CPU library for the peer comparison (internal/ortpeer): the
# Linux build shipped inside the onnxruntime-node npm package, fetched with
# `npm pack` (no install scripts run) into the git-ignored .cache/ort/. The
# library has no dependencies beyond glibc and libstdc++. Keep ORT_VERSION in
# step with ortpeer.LibVersion.
ORT_VERSION ?= 1.30.0
ORT_DIR     := .cache/ort/$(ORT_VERSION)
ORT_ARCH    := $(subst x86_64,x64,$(subst aarch64,arm64,$(shell uname -m)))
ORT_LIB     := $(ORT_DIR)/libonnxruntime.so.1

ort: $(ORT_LIB)

$(ORT_LIB):
	@test "$$(uname -s)" = Linux || { echo "make ort: only the Linux library is wired up (found $$(uname -s))"; exit 1; }
	@command -v npm >/dev/null || { echo "make ort: npm is needed to fetch onnxruntime-node@$(ORT_VERSION)"; exit 1; }
	rm -rf $(ORT_DIR).tmp && mkdir -p $(ORT_DIR).tmp
	cd $(ORT_DIR).tmp && npm pack --silent --ignore-scripts onnxruntime-node@$(ORT_VERSION) >/dev/null
	tar -xzf $(ORT_DIR).tmp/onnxruntime-node-$(ORT_VERSION).tgz -C $(ORT_DIR).tmp \
		package/bin/napi-v6/linux/$(ORT_ARCH)/libonnxruntime.so.1
	mkdir -p $(ORT_DIR)
	mv $(ORT_DIR).tmp/package/bin/napi-v6/linux/$(ORT_ARCH)/libonnxruntime.so.1 $(ORT_LIB)
	rm -rf $(ORT_DIR).tmp
	@echo "ONNX Runtime $(ORT_VERSION): $(ORT_LIB)"

# XLA's CPU PJRT plugin for the `xla` backend: the plugin built by the OpenXLA
# project, shipped in the xla-cpu-pjrt wheel on the Python package index,
# fetched with `pip download` (no install, no dependencies, binary only) and
# checked against the pinned sha256 of this machine's wheel (pip's
# --require-hashes). The plugin is extracted into the git-ignored .cache/xla/
# under the file name go-xla looks for (pjrt_c_api_<name>_plugin.so; the name
# becomes the plugin name), where the backend's probe finds it without any
# environment variable. Keep XLA_PLUGIN_VERSION in step with
# backends/xla.PluginCacheVersion.
XLA_PLUGIN_VERSION ?= 0.0.1
XLA_DIR     := .cache/xla/$(XLA_PLUGIN_VERSION)
XLA_PLUGIN  := $(XLA_DIR)/pjrt_c_api_cpu_plugin.so
XLA_ARCH    := $(shell uname -m)
XLA_SHA256_x86_64  := 55837b6b7b47daa717f2d9a5a03563ea0ceaa338d06a81a1e2d3f060d960decc
XLA_SHA256_aarch64 := 8f613be6e891858f40d64f9799319502fff42689661944fc18a6ffd8210b30c9
XLA_SHA256  := $(XLA_SHA256_$(XLA_ARCH))

xla: $(XLA_PLUGIN)

$(XLA_PLUGIN):
	@test "$$(uname -s)" = Linux || { echo "make xla: only the Linux plugin is wired up (found $$(uname -s))"; exit 1; }
	@test -n "$(XLA_SHA256)" || { echo "make xla: no xla-cpu-pjrt wheel pinned for $(XLA_ARCH) (x86_64 and aarch64 are)"; exit 1; }
	@command -v python3 >/dev/null || { echo "make xla: python3 with pip is needed to fetch xla-cpu-pjrt==$(XLA_PLUGIN_VERSION)"; exit 1; }
	rm -rf $(XLA_DIR).tmp && mkdir -p $(XLA_DIR).tmp
	echo "xla-cpu-pjrt==$(XLA_PLUGIN_VERSION) --hash=sha256:$(XLA_SHA256)" > $(XLA_DIR).tmp/requirements.txt
	python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
		--require-hashes -r $(XLA_DIR).tmp/requirements.txt -d $(XLA_DIR).tmp
	python3 -c 'import sys, zipfile, shutil; z = zipfile.ZipFile(sys.argv[1]); shutil.copyfileobj(z.open("xla_plugins/xla_cpu_pjrt/xla_cpu_pjrt.so"), open(sys.argv[2], "wb"))' \
		$(XLA_DIR).tmp/xla_cpu_pjrt-$(XLA_PLUGIN_VERSION)-py3-none-manylinux_2_27_$(XLA_ARCH).whl $(XLA_DIR).tmp/plugin.so
	@if command -v nm >/dev/null; then nm -D --defined-only $(XLA_DIR).tmp/plugin.so | grep -qw GetPjrtApi; \
	else readelf --dyn-syms -W $(XLA_DIR).tmp/plugin.so | grep -qw GetPjrtApi; fi || \
		{ echo "make xla: the plugin does not export GetPjrtApi"; exit 1; }
	mkdir -p $(XLA_DIR)
	mv $(XLA_DIR).tmp/plugin.so $(XLA_PLUGIN)
	rm -rf $(XLA_DIR).tmp
	@echo "XLA CPU PJRT plugin $(XLA_PLUGIN_VERSION): $(XLA_PLUGIN)"

# The cpu backend's arm64 kernels and backend, cross-compiled and run under
# Debian's qemu-user-static (apt-get install qemu-user-static); skipped, saying
# so, where it is not installed.
QEMU_ARM64 ?= qemu-aarch64-static
cpu-arm64:
	@if ! command -v $(QEMU_ARM64) >/dev/null; then \
		echo "cpu-arm64: skipped: $(QEMU_ARM64) not found (apt-get install qemu-user-static)"; exit 0; fi; \
	set -e; dir=$$(mktemp -d); trap 'rm -rf $$dir' EXIT; \
	GOARCH=arm64 $(GO) test -c -o $$dir/kernels.test ./backends/cpu/internal/kernels; \
	GOARCH=arm64 $(GO) test -c -o $$dir/cpu.test ./backends/cpu; \
	$(QEMU_ARM64) $$dir/kernels.test -test.count=1; \
	$(QEMU_ARM64) $$dir/cpu.test -test.count=1 -test.run 'Conformance|Steady'

# Regenerate the cpu backend's amd64 assembly from its avo generator.
cpu-asm:
	$(GO) generate ./backends/cpu/internal/kernels
