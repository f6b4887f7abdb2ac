//go:build arm64 && gc && !purego

package kernels

import "golang.org/x/sys/cpu"

// candidates is initialised before any init function runs (dispatch.go's
// init picks Default from it).
var candidates = []*ISA{
	{Name: "neon", MR: 4, NR: 16, tile: neonTile, masked: false, fullRowsOnly: true, goEpilogue: true},
}

func supported(name string) bool {
	return name == "neon" && cpu.ARM64.HasASIMD
}

//go:noescape
func gemmNEON4x16(p *[12]uint64)

func neonTile(p *gemmArgs, _ int) { gemmNEON4x16(p.raw()) }
