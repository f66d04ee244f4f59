package steps

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/nexus-onboard/nexus-onboard/clients/httpx"
	"github.com/nexus-onboard/nexus-onboard/clients/redact"
)

// Report renders a run as Markdown for a support ticket: the inputs (secrets
// masked), each step's outcome, and its requests and answers. The whole text
// goes through the redactor once more before it is returned.
func Report(in Values, records []*Record, r *redact.Redactor, now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# nexus-onboard report\n\nGenerated %s.\n\n## Inputs\n\n| key | value | from |\n|---|---|---|\n", now.UTC().Format(time.RFC3339))
	for _, inp := range Inputs {
		v := in.Get(inp.Key)
		if v == "" {
			continue
		}
		switch {
		case inp.Secret():
			v = redact.Mask
		case inp.Kind == DSN:
			v = r.URL(v)
		}
		fmt.Fprintf(&b, "| %s | `%s` | %s |\n", inp.Key, mdCell(v), in.Source(inp.Key))
	}
	b.WriteString("\n## Steps\n\n| step | status | time | result |\n|---|---|---|---|\n")
	for _, rec := range records {
		msg := rec.Message
		if rec.Error != "" {
			msg = "**" + rec.Error + "**"
		}
		fmt.Fprintf(&b, "| %s | %s | %d ms | %s |\n", rec.ID, rec.Status, rec.DurationMS, mdCell(msg))
	}
	for _, rec := range records {
		fmt.Fprintf(&b, "\n### %s — %s\n\n", rec.ID, rec.Status)
		if rec.Warning != "" {
			fmt.Fprintf(&b, "> warning: %s\n\n", rec.Warning)
		}
		keys := make([]string, 0, len(rec.Outputs))
		for k := range rec.Outputs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v := rec.Outputs[k]
			if strings.Contains(v, "\n") {
				fmt.Fprintf(&b, "- %s:\n\n```\n%s\n```\n", k, v)
			} else {
				fmt.Fprintf(&b, "- %s: `%s`\n", k, v)
			}
		}
		for _, x := range rec.Transcript {
			writeExchangeMD(&b, x)
		}
	}
	return r.String(b.String())
}

func writeExchangeMD(b *strings.Builder, x httpx.Exchange) {
	fmt.Fprintf(b, "\n```http\n%s\n", x.RequestLine())
	for _, l := range httpx.HeaderLines(x.RequestHeader) {
		b.WriteString(l + "\n")
	}
	if x.RequestBody != "" {
		fmt.Fprintf(b, "\n%s\n", httpx.Pretty(x.RequestBody))
	}
	b.WriteString("```\n\n")
	if x.Status == 0 {
		b.WriteString(strings.ToUpper(x.Outcome()[:1]) + x.Outcome()[1:] + "\n")
		return
	}
	fmt.Fprintf(b, "```http\nHTTP %s\n", x.Outcome())
	for _, l := range httpx.HeaderLines(x.ResponseHeader) {
		b.WriteString(l + "\n")
	}
	if x.ResponseBody != "" {
		fmt.Fprintf(b, "\n%s\n", httpx.Pretty(x.ResponseBody))
	}
	b.WriteString("```\n")
}

func mdCell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}
