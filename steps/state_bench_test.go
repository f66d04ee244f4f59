package steps

import "testing"

// BenchmarkStateSave is one save of a finished run's state: the cost each
// step pays for crash safety (write, fsync, rename).
func BenchmarkStateSave(b *testing.B) {
	s := Store{Dir: b.TempDir()}
	st := NewState("578ec98e-f07c-46ad-9675-f36c22f3ba9f")
	for _, id := range IDs() {
		st.Steps[id] = &Record{ID: id, Status: StatusDone, Outputs: map[string]string{"k": "v"}, Message: "done"}
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Save(st); err != nil {
			b.Fatal(err)
		}
	}
}
