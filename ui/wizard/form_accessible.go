package wizard

import (
	"context"
	"fmt"
	"io"

	huh "charm.land/huh/v2"
)

// accessibleForm runs one page as huh's plain prompts on the terminal,
// with the Bubble Tea program paused (tea.Exec).
type accessibleForm struct {
	ctx        context.Context
	form       *huh.Form
	title      string
	accessible bool
	in         io.Reader
	out        io.Writer
}

func (a *accessibleForm) SetStdin(r io.Reader)  { a.in = r }
func (a *accessibleForm) SetStdout(w io.Writer) { a.out = w }
func (a *accessibleForm) SetStderr(io.Writer)   {}

// Run asks the page's questions. Ctrl+C in these plain prompts is a
// signal, not a key: it cancels ctx, and Run returns at once (the process
// is about to end; the prompt's read is abandoned).
func (a *accessibleForm) Run() error {
	fmt.Fprintf(a.out, "\n%s (Ctrl+C quits)\n\n", a.title)
	done := make(chan error, 1)
	go func() { done <- a.form.WithAccessible(a.accessible).WithInput(a.in).WithOutput(a.out).Run() }()
	ctx := a.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
