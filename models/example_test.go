package models_test

import (
	"context"
	"fmt"

	_ "github.com/backplane-ml/backplane/backends/ref"
	"github.com/backplane-ml/backplane/models"
	"github.com/backplane-ml/backplane/runtime"
)

// A zoo model is built by name at a batch size and costed from its graph.
func ExampleZooByName() {
	m, _ := models.ZooByName("bert_layer")
	art, err := m.Build(1)
	if err != nil {
		fmt.Println(err)
		return
	}
	cost, _ := models.FLOPs(art, nil)
	fmt.Printf("%s: %d MACs, %d parameters\n", m.Description, cost.MACs, models.Parameters(art))
	// Output: BERT-base encoder layer, hidden 768, 12 heads, 128 tokens: 931135488 MACs, 7087873 parameters
}

// The size knobs give a cheap variant of an architecture at full depth, here
// ResNet-50 on 32×32 images with an eighth of the width, run on the reference
// backend with a symbolic batch bound to 2.
func ExampleResNet() {
	art, err := models.ResNet(models.ResNetConfig{Size: 32, Width: 8, Classes: 10, Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	in, _ := models.Inputs(art, 2, 1)
	out, err := runtime.Run(context.Background(), art, in...)
	if err != nil {
		fmt.Println(err)
		return
	}
	cost, _ := models.FLOPs(art, map[string]int{"batch": 2})
	fmt.Println(art.Outputs[0].Name, out[0].Shape(), cost.MACs)
	// Output: logits [2 10] 3138560
}
