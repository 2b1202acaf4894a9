package access

import (
	"strconv"
	"strings"
)

// rankSQL is Rank in SQL: the CASE expression that ranks the marking in
// the column expression col (an unknown marking ranks as red).
func rankSQL(col string) string {
	var b strings.Builder
	b.WriteString("(CASE " + col)
	for i, tlp := range TLPs[:len(TLPs)-1] {
		b.WriteString(" WHEN '" + tlp + "' THEN " + strconv.Itoa(i))
	}
	b.WriteString(" ELSE " + strconv.Itoa(len(TLPs)-1) + " END)")
	return b.String()
}

// NoStricter returns the SQL condition that the marking in column a is no
// stricter than the one in column b: Rank(a) <= Rank(b). The figures use
// it to count a victim, a harm or an attribution with its incident only
// when its own marking is no stricter than the incident's.
func NoStricter(a, b string) string {
	return rankSQL(a) + " <= " + rankSQL(b)
}
