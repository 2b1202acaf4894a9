package interchange

import (
	"fmt"
	"sort"
	"strings"

	"github.com/harmtrace/harmtrace/internal/validate"
)

// Origin is where a record of a document was read in its file, so that an
// error found when the record is saved names the place the user can fix:
// the line of a CSV row, and the column each of the record's fields came
// from.
type Origin struct {
	Line int
	// Columns maps a field of the record (country, start, min) to the
	// column it was read from: `column 3 ("Country")`.
	Columns map[string]string
}

// SetOrigin records where the i-th record of a kind ("incidents",
// "organisations", …, as Write names them) was read.
func (doc *Document) SetOrigin(kind string, i int, o Origin) {
	if doc.Origins == nil {
		doc.Origins = map[string]Origin{}
	}
	doc.Origins[fmt.Sprintf("%s[%d]", kind, i)] = o
}

// place names a record at fault for an error: its line and column when
// the reader recorded them, else its kind and index, with its id.
func (doc *Document) place(kind string, i int, id string, err error) string {
	o, ok := doc.Origins[fmt.Sprintf("%s[%d]", kind, i)]
	if !ok {
		return recordName(kind, i, id)
	}
	where := fmt.Sprintf("line %d", o.Line)
	var cols []string
	seen := map[string]bool{}
	for _, fe := range validate.Fields(err) {
		field, _, _ := strings.Cut(fe.Field, "[")
		if c, ok := o.Columns[field]; ok && !seen[c] {
			seen[c] = true
			cols = append(cols, c)
		}
	}
	sort.Strings(cols)
	if len(cols) > 0 {
		where += ", " + strings.Join(cols, ", ")
	}
	return fmt.Sprintf("%s: %s %s", where, strings.TrimSuffix(kind, "s"), id)
}

// renumber keeps the origins of the records of a kind that remain, given
// their old indices in order, after others were left out.
func (doc *Document) renumber(kind string, kept []int) {
	if doc.Origins == nil {
		return
	}
	moved := map[string]Origin{}
	for i, old := range kept {
		if o, ok := doc.Origins[fmt.Sprintf("%s[%d]", kind, old)]; ok {
			moved[fmt.Sprintf("%s[%d]", kind, i)] = o
		}
	}
	for k := range doc.Origins {
		if strings.HasPrefix(k, kind+"[") {
			delete(doc.Origins, k)
		}
	}
	for k, o := range moved {
		doc.Origins[k] = o
	}
}
