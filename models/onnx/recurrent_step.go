package onnx

import (
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// step computes one time step's H (and C for LSTM) from the input
// projection xw ([batch, G·H], biases included) and the previous state.
func (b *rnnBuild) step(xw, h, cell, rT, rZRT, rHT, rbH string, p [3]string, acts []rnnActivation) (newH, newC string, err error) {
	H := b.hidden
	gate := func(src string, k int) (string, error) { return b.sliceAxis(src, 1, k*H, (k+1)*H) }
	switch b.kind {
	case rnnSimple:
		hr, err := b.val("matmul", nil, h, rT)
		if err != nil {
			return "", "", err
		}
		pre, err := b.val("add", nil, xw, hr)
		if err != nil {
			return "", "", err
		}
		newH, err = b.activate(pre, acts[0])
		return newH, "", err

	case rnnGRU:
		f, g := acts[0], acts[1]
		var zPre, rPre, hPre string
		if b.linearBeforeReset {
			hr, err := b.val("matmul", nil, h, rT) // [batch, 3H]
			if err != nil {
				return "", "", err
			}
			zr, err := b.sliceAxis(hr, 1, 0, 2*H)
			if err != nil {
				return "", "", err
			}
			xzr, err := b.sliceAxis(xw, 1, 0, 2*H)
			if err != nil {
				return "", "", err
			}
			sum, err := b.val("add", nil, xzr, zr)
			if err != nil {
				return "", "", err
			}
			if zPre, err = gate(sum, 0); err != nil {
				return "", "", err
			}
			if rPre, err = gate(sum, 1); err != nil {
				return "", "", err
			}
			r, err := b.activate(rPre, f)
			if err != nil {
				return "", "", err
			}
			hh, err := gate(hr, 2)
			if err != nil {
				return "", "", err
			}
			if rbH != "" {
				if hh, err = b.val("add", nil, hh, rbH); err != nil {
					return "", "", err
				}
			}
			rh, err := b.val("mul", nil, r, hh)
			if err != nil {
				return "", "", err
			}
			xh, err := gate(xw, 2)
			if err != nil {
				return "", "", err
			}
			if hPre, err = b.val("add", nil, xh, rh); err != nil {
				return "", "", err
			}
			return b.gruUpdate(zPre, hPre, h, f, g)
		}
		hzr, err := b.val("matmul", nil, h, rZRT) // [batch, 2H]
		if err != nil {
			return "", "", err
		}
		xzr, err := b.sliceAxis(xw, 1, 0, 2*H)
		if err != nil {
			return "", "", err
		}
		sum, err := b.val("add", nil, xzr, hzr)
		if err != nil {
			return "", "", err
		}
		if zPre, err = gate(sum, 0); err != nil {
			return "", "", err
		}
		if rPre, err = gate(sum, 1); err != nil {
			return "", "", err
		}
		r, err := b.activate(rPre, f)
		if err != nil {
			return "", "", err
		}
		rh, err := b.val("mul", nil, r, h)
		if err != nil {
			return "", "", err
		}
		hh, err := b.val("matmul", nil, rh, rHT)
		if err != nil {
			return "", "", err
		}
		if rbH != "" {
			if hh, err = b.val("add", nil, hh, rbH); err != nil {
				return "", "", err
			}
		}
		xh, err := gate(xw, 2)
		if err != nil {
			return "", "", err
		}
		if hPre, err = b.val("add", nil, xh, hh); err != nil {
			return "", "", err
		}
		return b.gruUpdate(zPre, hPre, h, f, g)

	default: // LSTM, gates i, o, f, c
		f, g, hAct := acts[0], acts[1], acts[2]
		hr, err := b.val("matmul", nil, h, rT)
		if err != nil {
			return "", "", err
		}
		pre, err := b.val("add", nil, xw, hr) // [batch, 4H]
		if err != nil {
			return "", "", err
		}
		withPeep := func(k int, peep, c string) (string, error) {
			v, err := gate(pre, k)
			if err != nil || peep == "" {
				return v, err
			}
			pc, err := b.val("mul", nil, c, peep)
			if err != nil {
				return "", err
			}
			return b.val("add", nil, v, pc)
		}
		iPre, err := withPeep(0, p[0], cell)
		if err != nil {
			return "", "", err
		}
		i, err := b.activate(iPre, f)
		if err != nil {
			return "", "", err
		}
		var fg string
		if b.inputForget {
			// Coupled gates: f = 1 - i.
			one, err := tensor.FromFloat64s(b.c.typeOf(pre).dtype, tensor.Shape{1}, []float64{1})
			if err != nil {
				return "", "", err
			}
			if fg, err = b.val("sub", nil, b.c.addConst(one), i); err != nil {
				return "", "", err
			}
		} else {
			fPre, err := withPeep(2, p[2], cell)
			if err != nil {
				return "", "", err
			}
			if fg, err = b.activate(fPre, f); err != nil {
				return "", "", err
			}
		}
		cPre, err := gate(pre, 3)
		if err != nil {
			return "", "", err
		}
		cand, err := b.activate(cPre, g)
		if err != nil {
			return "", "", err
		}
		fc, err := b.val("mul", nil, fg, cell)
		if err != nil {
			return "", "", err
		}
		ic, err := b.val("mul", nil, i, cand)
		if err != nil {
			return "", "", err
		}
		if newC, err = b.val("add", nil, fc, ic); err != nil {
			return "", "", err
		}
		oPre, err := withPeep(1, p[1], newC)
		if err != nil {
			return "", "", err
		}
		o, err := b.activate(oPre, f)
		if err != nil {
			return "", "", err
		}
		hc, err := b.activate(newC, hAct)
		if err != nil {
			return "", "", err
		}
		newH, err = b.val("mul", nil, o, hc)
		return newH, newC, err
	}
}

// gruUpdate finishes a GRU step: z = f(zPre), ĥ = g(hPre), H = ĥ + z·(H − ĥ),
// which is (1 − z)·ĥ + z·H.
func (b *rnnBuild) gruUpdate(zPre, hPre, h string, f, g rnnActivation) (string, string, error) {
	z, err := b.activate(zPre, f)
	if err != nil {
		return "", "", err
	}
	cand, err := b.activate(hPre, g)
	if err != nil {
		return "", "", err
	}
	diff, err := b.val("sub", nil, h, cand)
	if err != nil {
		return "", "", err
	}
	zd, err := b.val("mul", nil, z, diff)
	if err != nil {
		return "", "", err
	}
	newH, err := b.val("add", nil, cand, zd)
	return newH, "", err
}

// concatOrOne joins values along axis, or returns the only one.
func (c *converter) concatOrOne(vals []string, axis int) (string, error) {
	if len(vals) == 1 {
		return vals[0], nil
	}
	out := c.tmp()
	return out, c.emit("concat", ops.Attrs{"axis": int64(axis)}, vals, out)
}
