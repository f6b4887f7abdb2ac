package ortpeer_test

import (
	"fmt"
	"os"

	"github.com/backplane-ml/backplane/internal/ortpeer"
	"github.com/backplane-ml/backplane/tensor"
)

// Load an ONNX file into ONNX Runtime and run it once. (No Output comment:
// the example needs `make ort`, so `go test` compiles it without running it.)
func ExampleLoad() {
	if err := ortpeer.Available(); err != nil {
		fmt.Println(err) // says to run `make ort`
		return
	}
	model, err := os.ReadFile("model.onnx")
	if err != nil {
		fmt.Println(err)
		return
	}
	s, err := ortpeer.Load(model, ortpeer.Options{Name: "model.onnx"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	x, _ := tensor.RandNormal(tensor.Float32, 1, 0, 1, 1, 3, 224, 224)
	out, err := s.Run([]*tensor.Tensor{x})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s.OutputNames()[0], out[0].Shape(), "on ONNX Runtime", ortpeer.Version(), "with", s.Threads(), "threads")
}
