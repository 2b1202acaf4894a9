package cli

import (
	"bytes"
	"testing"

	"github.com/harmtrace/harmtrace/internal/interchange"
)

// A first start tells what it loaded in a few lines, whatever the number
// of rows skipped or warned about.
func TestSeedSummaryIsShort(t *testing.T) {
	sum := interchange.NewSummary()
	sum.Counts["incidents"] = &interchange.Count{Created: 1398}
	sum.Counts["actors"] = &interchange.Count{Unchanged: 3}
	for _, why := range []string{"Theft", "Loss", "Loss, Theft", "Other"} {
		for range 100 {
			sum.Skip("not a cyberattack: type of breach is " + why)
		}
	}
	sum.Skip("no date: the row has none")
	for range 5 {
		sum.Warn("line 2 repeats the breach of line 1")
	}
	if got := countsOf(sum); got != "1398 incidents" {
		t.Errorf("counts: %q", got)
	}
	var out bytes.Buffer
	printSkipped(&out, sum)
	want := "skipped 401 rows: 400 not a cyberattack, 1 no date\n5 warnings, such as: line 2 repeats the breach of line 1\n"
	if out.String() != want {
		t.Errorf("summary:\n%s\nwant:\n%s", out.String(), want)
	}
	if got := countsOf(&interchange.Summary{Counts: map[string]*interchange.Count{"actors": {Unchanged: 7}}}); got != "nothing new (7 records unchanged)" {
		t.Errorf("counts of a second load: %q", got)
	}
}
