package tensor_test

import (
	"fmt"

	"github.com/backplane-ml/backplane/tensor"
)

func ExampleFromSlice() {
	data := []float32{1, 2, 3, 4, 5, 6}
	x, err := tensor.FromSlice(data, 2, 3)
	if err != nil {
		panic(err)
	}
	fmt.Println(x)

	// x wraps data: no copy is made, so writes through either are seen by both
	data[0] = 10
	tensor.MustView[float32](x)[5] = 60
	fmt.Println(x, data)

	_, err = tensor.FromSlice(data, 4, 2)
	fmt.Println(err)
	// Output:
	// float32[2 3] [[1 2 3] [4 5 6]]
	// float32[2 3] [[10 2 3] [4 5 60]] [10 2 3 4 5 60]
	// invalid shape: 6 elements do not fill shape [4 2] (8 elements)
}

func ExampleTensor_Reshape() {
	x := tensor.MustFromSlice([]int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 3, 4)
	y, err := x.Reshape(2, -1, 2) // -1 becomes 12 / (2·2) = 3
	if err != nil {
		panic(err)
	}
	fmt.Println(y)

	_, err = x.Reshape(5, -1)
	fmt.Println(err)
	// Output:
	// int64[2 3 2] [[[1 2] [3 4] [5 6]] [[7 8] [9 10] [11 12]]]
	// invalid shape: cannot reshape [3 4] to [5 -1]
}

func ExampleCompare() {
	want := tensor.MustFromSlice([]float32{1, 2, 3, 4}, 2, 2)
	got := tensor.MustFromSlice([]float32{1, 2.001, 3, 4.5}, 2, 2)

	loose := tensor.Compare(got, want, tensor.Tolerance{RTol: 0.2})
	fmt.Println(loose.Equal)

	strict := tensor.Compare(got, want, tensor.Tolerance{RTol: 1e-3, ATol: 1e-5})
	fmt.Println(strict.Equal, strict.Mismatches, strict.FirstMismatch)
	fmt.Println(strict)
	// Output:
	// true
	// false 1 [1 1]
	// values differ beyond rtol=0.001 atol=1e-05: 1 mismatches, first at [1 1]: got 4.5 want 4 (max abs err 0.5, max rel err 0.125)
}

func ExampleRand() {
	// the same seed gives the same tensor on every run and platform
	w, err := tensor.Rand(tensor.Float32, 42, -1, 1, 2, 3)
	if err != nil {
		panic(err)
	}
	fmt.Println(w)

	dice, err := tensor.Rand(tensor.Int8, 42, 1, 6, 6) // integer bounds are inclusive
	if err != nil {
		panic(err)
	}
	fmt.Println(dice)

	n, err := tensor.RandNormal(tensor.Float16, 42, 0, 0.02, 1000)
	if err != nil {
		panic(err)
	}
	fmt.Println(n.Summary())
	// Output:
	// float32[2 3] [[0.763052 0.94417965 -0.20991875] [-0.033076607 0.6278759 0.62017226]]
	// int8[6] [6 6 3 3 5 5]
	// float16[1000] min=-0.0784 max=0.0589 mean=-0.000864239 nan=0 inf=0
}

func ExampleTensor_Summary() {
	x := tensor.MustFromSlice([]float64{-1, 0.5, 2, 3.5, 4})
	fmt.Println(x.Summary())
	// Output:
	// float64[5] min=-1 max=4 mean=1.8 nan=0 inf=0
}
