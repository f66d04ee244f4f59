package wizard

import "testing"

// A line cut at the terminal's edge says so with an ellipsis.
func TestFitMarksACutLine(t *testing.T) {
	got := fit("abcdefgh\nab", 5, 3)
	want := "abcd…\nab\n"
	if got != want {
		t.Fatalf("fit = %q, want %q", got, want)
	}
}
