# backplane build and test targets. `make test` is what CI runs.
GO      ?= go
# Fuzz runs are bounded by a count, not a duration: a duration-bounded run can
# fail at its deadline with "context deadline exceeded" (golang/go#75804).
FUZZTIME ?= 200000x

.PHONY: test vet fmt-check unit fuzz bench demo coreml coreml-test ort node-suite-update

test: fmt-check vet unit fuzz

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

unit:
	$(GO) test -race -count=1 ./...
	# Full-size zoo models, gomlx vs ref: too slow under the race detector, so without it.
	$(GO) test -count=1 -run '^TestZooParity$$' ./backends/xla
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
	$(GO) test -run '^$$' -fuzz '^FuzzOp$$' -fuzztime $(FUZZTIME) ./backends/ref
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeModel$$' -fuzztime $(FUZZTIME) ./models/onnx/onnxpb
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeTensor$$' -fuzztime $(FUZZTIME) ./models/onnx/onnxpb
	$(GO) test -run '^$$' -fuzz '^FuzzExport$$' -fuzztime $(FUZZTIME) ./models/onnx

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# Regenerate the node suite's expected-outcome lists (models/onnx/onnxtest/
# testdata/node_expected_*.txt) from a run over ../shared/testdata/onnx-node;
# `make test` fails when an outcome differs from them. Review the diff.
node-suite-update:
	GOMLX_NO_AUTO_INSTALL=1 $(GO) test -count=1 -run '^TestNodeSuite$$' ./models/onnx/onnxtest -update

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
