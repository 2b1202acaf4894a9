package interchange

import (
	"bytes"
	"encoding/csv"
	"slices"
	"testing"
)

// TestDictionaryIsComplete: every CSV column and every JSON-lines field
// the downloads write has its meaning in the dictionary, and the CSV's
// header is the dictionary's list.
func TestDictionaryIsComplete(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteCSV(&buf, &Document{}); err != nil {
		t.Fatal(err)
	}
	header, err := csv.NewReader(&buf).Read()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range CSVColumns() {
		names = append(names, c.Name)
		if c.Meaning == "" {
			t.Errorf("CSV column %s has no meaning", c.Name)
		}
	}
	if !slices.Equal(header, names) {
		t.Errorf("CSV header %v, dictionary %v", header, names)
	}
	for _, jt := range JSONTypes() {
		for _, f := range jt.Fields {
			if f.Meaning == "" {
				t.Errorf("JSON-lines field %s.%s has no meaning", jt.Type, f.Name)
			}
		}
	}
}
