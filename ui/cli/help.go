package cli

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/nexus-onboard/nexus-onboard/steps"
)

// helpWidth is the widest line of any --help: flag usages wrap, and so do
// long lines of a command's description.
const helpWidth = 100

func init() {
	cobra.AddTemplateFunc("wrapHelp", func(s string) string { return wrapText(s, helpWidth) })
	// A command's line in a list ("  name   short"), its short text
	// wrapped under itself.
	cobra.AddTemplateFunc("commandLine", func(name, short string) string {
		hang := strings.Repeat(" ", 2+len(name)+1)
		// The template writes the first line's 2 leading spaces.
		return name + " " + strings.TrimPrefix(wrapText(hang+short, helpWidth), hang)
	})
}

// helpTemplate is cobra's, with the description wrapped at helpWidth.
const helpTemplate = `{{with (or .Long .Short)}}{{. | trimTrailingWhitespaces | wrapHelp}}

{{end}}{{if or .Runnable .HasSubCommands}}{{.UsageString}}{{end}}`

// inputsNote ends the usage of a command with input flags.
const inputsNote = `Every input flag also reads NEXUS_ONBOARD_<KEY> and the --config file (flag > environment >
config file > last run > default); keys, meanings and defaults: see nexus-onboard inputs.`

// usageTemplate is cobra's usage template with the flags wrapped at
// helpWidth and, when the command has input flags, a note on where they
// are described.
func usageTemplate(base string) string {
	t := strings.ReplaceAll(base, ".FlagUsages ", ".FlagUsagesWrapped "+strconv.Itoa(helpWidth)+" ")
	t = strings.ReplaceAll(t, "{{rpad .Name .NamePadding }} {{.Short}}", "{{commandLine (rpad .Name .NamePadding) .Short}}")
	const anchor = "{{if .HasHelpSubCommands}}"
	if strings.Count(t, anchor) == 1 {
		t = strings.Replace(t, anchor, `{{if .Flags.Lookup "`+steps.Inputs[0].Flag()+`"}}

`+inputsNote+`{{end}}`+anchor, 1)
	}
	return t
}

// wrapText breaks each line longer than width at spaces; a continuation
// keeps the line's indentation. A word longer than width stays whole.
func wrapText(s string, width int) string {
	lines := strings.Split(s, "\n")
	var out []string
	for _, line := range lines {
		indent := line[:len(line)-len(strings.TrimLeft(line, " "))]
		for utf8.RuneCountInString(line) > width {
			cut := -1
			for i, r := range line {
				if utf8.RuneCountInString(line[:i]) > width {
					break
				}
				if r == ' ' && i > len(indent) {
					cut = i
				}
			}
			if cut < 0 {
				break
			}
			out = append(out, strings.TrimRight(line[:cut], " "))
			line = indent + strings.TrimLeft(line[cut:], " ")
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}
