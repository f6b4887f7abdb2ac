//go:build amd64 && gc && !purego

package kernels

import "golang.org/x/sys/cpu"

// candidates is initialised before any init function runs (dispatch.go's
// init picks Default from it).
var candidates = []*ISA{
	{Name: "avx512", MR: 6, NR: 32, tile: avx512Tile, tileU: avx512TileU, masked: true, dw: depthwiseAVX512, dwStep: 1,
		vec: [numActKinds]func(*float32, int){ActGelu: geluAVX512, ActSigmoid: sigmoidAVX512, ActExpNeg: expNegAVX512}, lanes: 16},
	{Name: "avx2", MR: 6, NR: 16, tile: avx2Tile, tileU: avx2TileU, masked: false, dw: depthwiseAVX2, dwStep: 8,
		vec: [numActKinds]func(*float32, int){ActGelu: geluAVX2, ActSigmoid: sigmoidAVX2, ActExpNeg: expNegAVX2}, lanes: 8},
}

func supported(name string) bool {
	switch name {
	case "avx512":
		return cpu.X86.HasAVX512F && cpu.X86.HasAVX512DQ && cpu.X86.HasBMI2 && cpu.X86.HasFMA
	case "avx2":
		return cpu.X86.HasAVX2 && cpu.X86.HasFMA
	}
	return false
}

var avx512Tiles = [...]func(*[12]uint64){gemmAVX512x32r1, gemmAVX512x32r2, gemmAVX512x32r3, gemmAVX512x32r4, gemmAVX512x32r5, gemmAVX512x32r6}
var avx2Tiles = [...]func(*[12]uint64){gemmAVX2x16r1, gemmAVX2x16r2, gemmAVX2x16r3, gemmAVX2x16r4, gemmAVX2x16r5, gemmAVX2x16r6}

var avx512TilesU = [...]func(*[12]uint64){gemmAVX512x32u1, gemmAVX512x32u2, gemmAVX512x32u3, gemmAVX512x32u4, gemmAVX512x32u5, gemmAVX512x32u6}
var avx2TilesU = [...]func(*[12]uint64){gemmAVX2x16u1, gemmAVX2x16u2, gemmAVX2x16u3, gemmAVX2x16u4, gemmAVX2x16u5, gemmAVX2x16u6}

func avx512TileU(p *gemmArgs, rows int) { avx512TilesU[rows-1](p.raw()) }
func avx2TileU(p *gemmArgs, rows int)   { avx2TilesU[rows-1](p.raw()) }

func avx512Tile(p *gemmArgs, rows int) { avx512Tiles[rows-1](p.raw()) }
func avx2Tile(p *gemmArgs, rows int)   { avx2Tiles[rows-1](p.raw()) }

func depthwiseAVX512(p *dwArgs) { depthwiseAVX512Raw(p.raw()) }
func depthwiseAVX2(p *dwArgs)   { depthwiseAVX2Raw(p.raw()) }
