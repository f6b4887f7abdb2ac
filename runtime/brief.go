package runtime

import "strings"

// briefMax is the length past which Brief shortens a message.
const briefMax = 100

// Brief returns err's cause in one short line, for listings that already
// name the backend and failure mode (Explain, the CLI's run summary): the
// cause without the kinds and names around it, cut to its first clause when
// it is long, with "…" marking the cut. For instance a backend's
// availability text that says where it searched and how to install what is
// missing becomes "PJRT plugin not found…". The full text stays in err.
func Brief(err error) string {
	if err == nil {
		return ""
	}
	for {
		e, ok := err.(*Error)
		if !ok || e.Err == nil {
			break
		}
		err = e.Err
	}
	msg := strings.Join(strings.Fields(describeNested(err, errContext{})), " ")
	if len(msg) <= briefMax {
		return msg
	}
	cut := msg
	if i := strings.Index(cut, "; "); i > 0 {
		cut = cut[:i]
	}
	if len(cut) > briefMax {
		if i := strings.LastIndex(cut[:briefMax], ": "); i > 0 {
			cut = cut[:i]
		} else {
			cut = cut[:briefMax]
		}
	}
	return cut + "…"
}
