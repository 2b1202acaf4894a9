package interchange

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// Encodings lists the values of --encoding and of a mapping's "encoding".
// latin-1 and iso-8859-1 are read as windows-1252, as browsers do (the
// WHATWG Encoding Standard): files labelled so are almost always
// windows-1252, whose extra characters (€, ’, “) would otherwise be lost.
var Encodings = []string{"utf-8", "windows-1252", "latin-1", "iso-8859-1", "cp1252"}

// Text returns data as UTF-8. Every format harmtrace reads is UTF-8 unless
// the user declares otherwise; data that is not valid UTF-8 is refused
// with the file, line and column of the first bad byte (decoding it would
// silently turn every accented letter into U+FFFD), unless the encoding is
// declared windows-1252 or latin-1: it is then converted, and the summary
// says so. A byte-order mark is dropped.
func Text(data []byte, file, encoding string, sum *Summary) ([]byte, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	enc := strings.ToLower(strings.TrimSpace(encoding))
	switch enc {
	case "", "utf-8", "utf8":
		if bad := invalidUTF8(data); bad >= 0 {
			line, col := position(data, int64(bad))
			return nil, fmt.Errorf("%s: line %d, column %d: not UTF-8 (byte 0x%02X): if the file is Latin-1 or Windows-1252 "+
				"(as many spreadsheets save CSV), import it as Windows-1252 (--encoding windows-1252, the upload's text encoding, "+
				"or \"encoding\": \"windows-1252\" in a CSV mapping); else save it as UTF-8", file, line, col, data[bad])
		}
		return data, nil
	case "windows-1252", "cp1252", "latin-1", "latin1", "iso-8859-1":
		if utf8.Valid(data) {
			if !isASCII(data) {
				sum.Warn("%s: declared %s but is valid UTF-8; read as UTF-8", file, encoding)
			}
			return data, nil
		}
		out, err := charmap.Windows1252.NewDecoder().Bytes(data)
		if err != nil {
			return nil, fmt.Errorf("%s: reading as %s: %w", file, encoding, err)
		}
		sum.Warn("%s: read as Windows-1252 (declared %s) and converted to UTF-8", file, encoding)
		return out, nil
	}
	return nil, fmt.Errorf("%s: unknown encoding %q (want one of %s)", file, encoding, strings.Join(Encodings, ", "))
}

// invalidUTF8 is the offset of the first byte that is not valid UTF-8, or -1.
func invalidUTF8(data []byte) int {
	if utf8.Valid(data) {
		return -1
	}
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}

func isASCII(data []byte) bool {
	for _, b := range data {
		if b >= 0x80 {
			return false
		}
	}
	return true
}
