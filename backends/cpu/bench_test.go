package cpu_test

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/backends/cpu"
	"github.com/backplane-ml/backplane/models"
)

// BenchmarkZooRun times Prepared.Run directly (no runtime around it) on
// every zoo model at batch 1 and 8; -benchmem's allocs/op is the backend's own.
func BenchmarkZooRun(b *testing.B) {
	ctx := context.Background()
	for _, z := range models.Zoo() {
		for _, batch := range []int{1, 8} {
			b.Run(fmt.Sprintf("%s/batch%d", z.Name, batch), func(b *testing.B) {
				art, err := z.Build(batch)
				if err != nil {
					b.Fatal(err)
				}
				in, err := models.Inputs(art, batch, 1)
				if err != nil {
					b.Fatal(err)
				}
				be := cpu.New(cpu.Options{})
				p, err := be.Prepare(ctx, art)
				if err != nil {
					b.Fatal(err)
				}
				defer p.Close()
				if _, err := p.Run(ctx, in); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					if _, err := p.Run(ctx, in); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// TestProfileZoo logs where each zoo model's time goes (batch 1), for
// docs/cpu.md. It runs only with -cpu.profile, being slow and measuring.
func TestProfileZoo(t *testing.T) {
	if !*profileZoo {
		t.Skip("run with -cpu.profile to log per-step profiles of the zoo")
	}
	ctx := context.Background()
	for _, z := range models.Zoo() {
		if *profileModels != "" && !slices.Contains(strings.Split(*profileModels, ","), z.Name) {
			continue
		}
		art, err := z.Build(*profileBatch)
		require.NoError(t, err)
		in, err := models.Inputs(art, *profileBatch, 1)
		require.NoError(t, err)
		prof, err := cpu.Profile(ctx, cpu.New(cpu.Options{Threads: *profileThreads}), art, in, *profileRuns)
		require.NoError(t, err)
		require.NotEmpty(t, prof)
		t.Logf("%s:", z.Name)
		for _, p := range prof {
			t.Logf("  %5.1f%%  %-34s %3d steps  %v/run", 100*p.Share, p.Kind, p.Steps, p.Time/time.Duration(*profileRuns))
		}
	}
}

var (
	profileZoo     = flag.Bool("cpu.profile", false, "log per-step profiles of the zoo models")
	profileModels  = flag.String("cpu.profile.models", "", "with -cpu.profile: only these zoo models (comma-separated)")
	profileRuns    = flag.Int("cpu.profile.runs", 5, "with -cpu.profile: timed runs per model")
	profileBatch   = flag.Int("cpu.profile.batch", 1, "with -cpu.profile: batch size")
	profileThreads = flag.Int("cpu.profile.threads", 0, "with -cpu.profile: threads per run (0: the default)")
)
