# backplane build and test targets. `make test` is what CI runs.
GO      ?= go
# Fuzz runs are bounded by a count, not a duration: a duration-bounded run can
# fail at its deadline with "context deadline exceeded" (golang/go#75804).
FUZZTIME ?= 200000x

.PHONY: test vet fmt-check unit fuzz bench demo

test: fmt-check vet unit fuzz

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

unit:
	$(GO) test -race -count=1 ./...

# Short runs of every fuzz target (one target per go test invocation).
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzUnmarshalArtifact$$' -fuzztime $(FUZZTIME) ./runtime
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeBody$$' -fuzztime $(FUZZTIME) ./runtime
	$(GO) test -run '^$$' -fuzz '^FuzzRead$$' -fuzztime $(FUZZTIME) ./tensor/npy
	$(GO) test -run '^$$' -fuzz '^FuzzShapes$$' -fuzztime $(FUZZTIME) ./tensor
	$(GO) test -run '^$$' -fuzz '^FuzzOp$$' -fuzztime $(FUZZTIME) ./backends/ref
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeModel$$' -fuzztime $(FUZZTIME) ./models/onnx/onnxpb
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeTensor$$' -fuzztime $(FUZZTIME) ./models/onnx/onnxpb

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

demo:
	$(GO) run ./cmd/backplane demo
