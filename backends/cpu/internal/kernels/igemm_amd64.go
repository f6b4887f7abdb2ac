//go:build amd64 && gc && !purego

package kernels

var igemmAVX512Tiles = [...]func(*[14]uint64){igemmAVX512x32r1, igemmAVX512x32r2, igemmAVX512x32r3, igemmAVX512x32r4, igemmAVX512x32r5, igemmAVX512x32r6}
var igemmAVX2Tiles = [...]func(*[14]uint64){igemmAVX2x16r1, igemmAVX2x16r2, igemmAVX2x16r3, igemmAVX2x16r4, igemmAVX2x16r5, igemmAVX2x16r6}

func init() {
	indirectTiles["avx512"] = func(p *igemmArgs, rows int) { igemmAVX512Tiles[rows-1](p.raw()) }
	indirectTiles["avx2"] = func(p *igemmArgs, rows int) { igemmAVX2Tiles[rows-1](p.raw()) }
}
