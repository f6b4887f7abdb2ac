# backplane build and test targets. `make test` is what CI runs.
GO      ?= go
# Fuzz runs are bounded by a count, not a duration: a duration-bounded run can
# fail at its deadline with "context deadline exceeded" (golang/go#75804).
FUZZTIME ?= 200000x

.PHONY: test vet fmt-check unit fuzz bench demo coreml coreml-test

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
