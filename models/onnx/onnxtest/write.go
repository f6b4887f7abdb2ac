package onnxtest

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
)

// Data is the tensors of one data set: Inputs[K] is written as input_K.pb
// and Outputs[K] as output_K.pb.
type Data struct {
	Inputs, Outputs []*onnxpb.Tensor
}

// Write creates the test folder dir holding m as model.onnx and sets[N] as
// test_data_set_N, the layout Discover reads. It is how tests and tools make
// regression folders of their own.
func Write(dir string, m *onnxpb.Model, sets ...Data) error {
	model, err := onnxpb.EncodeModel(m)
	if err != nil {
		return fmt.Errorf("onnxtest: encoding the model: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("onnxtest: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, ModelFile), model, 0o644); err != nil {
		return fmt.Errorf("onnxtest: %w", err)
	}
	for n, s := range sets {
		set := filepath.Join(dir, fmt.Sprintf("test_data_set_%d", n))
		if err := os.MkdirAll(set, 0o755); err != nil {
			return fmt.Errorf("onnxtest: %w", err)
		}
		for _, list := range []struct {
			kind string
			ts   []*onnxpb.Tensor
		}{{"input", s.Inputs}, {"output", s.Outputs}} {
			for k, t := range list.ts {
				data, err := onnxpb.EncodeTensor(t)
				if err != nil {
					return fmt.Errorf("onnxtest: encoding %s %d of data set %d: %w", list.kind, k, n, err)
				}
				path := filepath.Join(set, fmt.Sprintf("%s_%d.pb", list.kind, k))
				if err := os.WriteFile(path, data, 0o644); err != nil {
					return fmt.Errorf("onnxtest: %w", err)
				}
			}
		}
	}
	return nil
}
