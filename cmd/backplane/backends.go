package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/backplane-ml/backplane/runtime"
)

func backendsCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintln(stderr, "usage: backplane backends")
		return 2
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "BACKEND\tAVAILABLE\tREASON")
	for _, b := range runtime.Backends() {
		avail, reason := "yes", ""
		if err := runtime.Availability(b); err != nil {
			avail, reason = "no", err.Error()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", b.Name(), avail, reason)
	}
	tw.Flush()
	return 0
}
