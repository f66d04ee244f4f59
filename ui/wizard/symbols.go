package wizard

import "github.com/nexus-onboard/nexus-onboard/steps"

// The status symbols, each drawn by this file alone. Every state has one,
// so nothing relies on colour.
const (
	symOK      = "✓" // done, already done, a notice that went well
	symFail    = "✗" // failed, a notice of an error
	symSkip    = "↷" // skipped
	symManual  = "✋" // for the user to do by hand (a wide rune)
	symWarn    = "⚠" // a warning
	symNotRun  = "·" // not run
	symPending = "○" // not started yet
)

// cursorMark prefixes the highlighted row; a symbol, so it survives monochrome.
const cursorMark = "›"

// mark returns the symbol of a status, two cells wide (✋ is a wide rune).
func mark(s steps.Status, spin string) string {
	switch s {
	case steps.StatusDone, steps.StatusAlreadyDone:
		return stOK.Render(symOK + " ")
	case steps.StatusFailed:
		return stFail.Render(symFail + " ")
	case steps.StatusSkipped:
		return stDim.Render(symSkip + " ")
	case steps.StatusManual:
		return stWarn.Render(symManual)
	case steps.StatusRunning:
		return stRun.Render(padRight(spin, 2))
	case steps.StatusNotRun:
		return stDim.Render(symNotRun + " ")
	}
	return stDim.Render(symPending + " ")
}

// symbol is the bare status symbol, for running text.
func symbol(s steps.Status) string {
	switch s {
	case steps.StatusDone, steps.StatusAlreadyDone:
		return symOK
	case steps.StatusFailed:
		return symFail
	case steps.StatusSkipped:
		return symSkip
	case steps.StatusManual:
		return symManual
	}
	return symNotRun
}

// statusWord is the status as shown in lists.
func statusWord(s steps.Status) string {
	switch s {
	case "":
		return "pending"
	case steps.StatusNotRun:
		return "not run"
	}
	return string(s)
}
