package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/nexus-onboard/nexus-onboard/steps"
)

// jsonStep is one element of `run --output json`: a public contract.
type jsonStep struct {
	ID         string            `json:"id"`
	Status     steps.Status      `json:"status"`
	DurationMS int64             `json:"duration_ms"`
	Outputs    map[string]string `json:"outputs"`
	Error      string            `json:"error"`
	Warning    string            `json:"warning,omitempty"`
}

// writeJSON writes the records as one JSON document; reveal, when not
// empty, is the DesignerEnv password in place of the mask.
func writeJSON(w io.Writer, records []*steps.Record, reveal string) error {
	doc := struct {
		Steps []jsonStep `json:"steps"`
	}{Steps: jsonSteps(records, reveal)}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

// jsonSteps are the records as `run --output json` lists them.
func jsonSteps(records []*steps.Record, reveal string) []jsonStep {
	out := []jsonStep{}
	for _, r := range records {
		outs := r.Outputs
		if outs == nil {
			outs = map[string]string{}
		}
		if reveal != "" {
			// The revealed key takes the place of the value it is.
			for _, v := range manualValues(r) {
				if v.Secret == steps.OutAPIKey {
					outs = cloneMap(outs)
					outs[v.Name] = reveal
				}
			}
		}
		out = append(out, jsonStep{ID: r.ID, Status: r.Status, DurationMS: r.DurationMS, Outputs: outs, Error: r.Error, Warning: r.Warning})
	}
	return out
}

func cloneMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// statusMark is the symbol of a status, in every CLI list.
var statusMark = map[steps.Status]string{
	steps.StatusDone: "✓", steps.StatusAlreadyDone: "✓", steps.StatusSkipped: "↷",
	steps.StatusManual: "✋", steps.StatusFailed: "✗", steps.StatusNotRun: "·",
}

// writeSummary is the text outcome of a run: a line per step that ran,
// what the manual steps ask, the steps left out and the count.
func writeSummary(w io.Writer, records []*steps.Record, env *steps.Env, reveal string, elapsed time.Duration) {
	fmt.Fprintln(w)
	var notRun []string
	stoppedAt := ""
	for _, r := range records {
		if r.Status == steps.StatusNotRun {
			// Told once, on one line, after the steps that ran.
			notRun = append(notRun, r.ID)
			continue
		}
		stoppedAt = r.ID
		fmt.Fprintf(w, "%s %-17s %-12s %6s  %s\n", statusMark[r.Status], r.ID, r.Status, fmtMS(r.DurationMS), oneLine(r))
		if r.Warning != "" {
			fmt.Fprintf(w, "    warning: %s\n", r.Warning)
		}
		if r.Status == steps.StatusManual {
			writeManual(w, r, env, reveal)
		}
	}
	if len(notRun) > 0 {
		fmt.Fprintln(w, notRunLine(notRun, stoppedAt))
	}
	fmt.Fprintf(w, "\n%s\n", ranLine(len(records)-len(notRun), len(records), elapsed))
}

// manualValues are the values a manual record asks the user to enter.
func manualValues(r *steps.Record) []steps.ManualValue {
	if m := steps.ManualOf(r); m != nil {
		return m.Values
	}
	return nil
}

// writeManual tells what a manual step asks of the user (steps.ManualOf):
// SQL to run, or values to enter, a secret masked unless revealed.
func writeManual(w io.Writer, r *steps.Record, env *steps.Env, reveal string) {
	m := steps.ManualOf(r)
	if m == nil {
		return
	}
	fmt.Fprintf(w, "    %s:\n", m.Title)
	if m.SQL != "" {
		for _, line := range strings.Split(m.SQL, "\n") {
			fmt.Fprintln(w, "      "+line)
		}
	}
	for _, v := range m.Values {
		val := v.Value
		if v.Secret != "" {
			switch {
			case reveal != "":
				val = reveal
			case r.Warning != "":
				val = "(no API key known to be this tenant's: see the warning above)"
			default:
				val = "****  (" + env.Command("run", "--only", r.ID, "--reveal") + " shows it)"
			}
		}
		fmt.Fprintf(w, "      %-8s %s\n", v.Name, val)
	}
}

// notRunLine tells the steps a stopped run left out, once, on one line,
// and where the run stopped ("" when no step ran).
func notRunLine(ids []string, stoppedAt string) string {
	why := "the run stopped before its first step"
	if stoppedAt != "" {
		why = "the run stopped at " + stoppedAt
	}
	return fmt.Sprintf("%s not run: %s (%s)", statusMark[steps.StatusNotRun], strings.Join(ids, ", "), why)
}

// ranLine counts what ran: "1 of 9 steps ran in 2.991s; 8 not run".
func ranLine(ran, total int, elapsed time.Duration) string {
	noun := "steps"
	if total == 1 {
		noun = "step"
	}
	line := fmt.Sprintf("%d of %d %s ran in %s", ran, total, noun, elapsed.Round(time.Millisecond))
	if n := total - ran; n > 0 {
		line += fmt.Sprintf("; %d not run", n)
	}
	return line
}

// oneLine is a record's error, or its message when it has none.
func oneLine(r *steps.Record) string {
	if r.Error != "" {
		return r.Error
	}
	return r.Message
}

func fmtMS(ms int64) string {
	if ms < 1000 {
		return fmt.Sprintf("%dms", ms)
	}
	return fmt.Sprintf("%.1fs", float64(ms)/1000)
}
