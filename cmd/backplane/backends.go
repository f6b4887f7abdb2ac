package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/backplane-ml/backplane/runtime"
)

func newBackendsCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "backends [MODEL]",
		Short: "List the backends, whether they can run here and why not; with MODEL, whether each supports it",
		Long: "Lists every backend compiled in, whether it can run on this machine and, when not, the\n" +
			"full reason (what is missing and how to install it). Given a MODEL, it also says whether\n" +
			"each backend supports it, naming the first op or dtype it lacks; that works even for a\n" +
			"backend that cannot run here (the Core ML converter answers on Linux too).\n\n" + modelHelp,
		Args:              args(0, 1, "at most one MODEL"),
		ValidArgsFunction: completeModel,
		RunE: action(func(cmd *cobra.Command, a []string) error {
			var art *runtime.Artifact
			if len(a) == 1 {
				var err error
				if art, _, err = loadModel(a[0], nil); err != nil {
					return err
				}
			}
			listBackends(cmd.OutOrStdout(), art, false)
			return nil
		}),
	}
	return c
}

// listBackends prints the backend table, with a SUPPORTS column for a. The
// reasons are in full unless brief (then one line each, as in run and demo).
func listBackends(stdout io.Writer, a *runtime.Artifact, brief bool) {
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	if a != nil {
		fmt.Fprintf(tw, "BACKEND\tAVAILABLE\tSUPPORTS %s\tDETAIL\n", a.Name)
	} else {
		fmt.Fprintln(tw, "BACKEND\tAVAILABLE\tDETAIL")
	}
	for _, b := range runtime.Backends() {
		avail, reason := "yes", ""
		if err := runtime.Availability(b); err != nil {
			avail, reason = "no", cause(err)
			if brief {
				if reason = runtime.Brief(err); strings.HasSuffix(reason, "…") {
					reason += " (backplane backends: the full reason)"
				}
			}
		} else if d, ok := b.(detailer); ok {
			reason = d.Detail()
		}
		if a == nil {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", b.Name(), avail, reason)
			continue
		}
		sup := "yes"
		if err := supportsRecovered(b, a); err != nil {
			sup = "no: " + unsupportedWhat(err)
			if !errors.Is(err, runtime.ErrUnsupported) {
				sup = "no: " + err.Error()
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", b.Name(), avail, sup, reason)
	}
	tw.Flush()
}

// detailer is implemented by backends that can say more about what they run
// on once available (the xla backend: its PJRT plugin and API version).
type detailer interface{ Detail() string }

func supportsRecovered(b runtime.Backend, a *runtime.Artifact) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("Supports panicked: %v", r)
		}
	}()
	return b.Supports(a)
}
