// Package trace is the incident base: the organisations attacked, the
// incidents, the campaigns they belong to, the threat actors behind them,
// the attributions that say so, and the sources every claim rests on.
//
// Record ids are STIX 2.1 identifiers (identity--…, incident--…,
// campaign--…, threat-actor--… or intrusion-set--…, relationship--… for
// attributions); sources, which STIX carries as external references, use
// source--…. An id imported from STIX is kept as it is.
package trace

import (
	"crypto/rand"
	"crypto/sha1"
	"fmt"
	"regexp"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// NewID returns prefix--<random UUID v4>.
func NewID(prefix string) string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return prefix + "--" + formatUUID(b)
}

// harmtraceNamespace is the UUID v5 namespace of ids derived from
// external keys (a dataset's row key, a MISP uuid that needs a second id).
var harmtraceNamespace = [16]byte{0x6f, 0x3d, 0x2a, 0x41, 0x8c, 0x55, 0x4e, 0x1b, 0x9a, 0x0e, 0x71, 0x22, 0x5c, 0x90, 0xd3, 0x17}

// DerivedID returns prefix--<UUID v5 of key>: the same key always gives the
// same id, so re-importing a dataset finds the records it created before.
func DerivedID(prefix, key string) string {
	h := sha1.New()
	h.Write(harmtraceNamespace[:])
	h.Write([]byte(key))
	var b [16]byte
	copy(b[:], h.Sum(nil))
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	return prefix + "--" + formatUUID(b)
}

func formatUUID(b [16]byte) string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

var idPattern = regexp.MustCompile(`^[a-z][a-z0-9-]*--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// checkID returns an error unless id is prefix--<uuid> for one of prefixes.
func checkID(id string, prefixes ...string) error {
	if !idPattern.MatchString(id) {
		return fmt.Errorf("%q is not an id of the form %s--<uuid>", id, prefixes[0])
	}
	kind, _, _ := strings.Cut(id, "--")
	for _, p := range prefixes {
		if kind == p {
			return nil
		}
	}
	return fmt.Errorf("%q is not an id of the form %s--<uuid>", id, strings.Join(prefixes, "|"))
}

// legalSuffixes are dropped when names are compared: "Acme Health, Inc."
// and "ACME Health" are the same organisation.
var legalSuffixes = map[string]bool{
	"inc": true, "incorporated": true, "llc": true, "ltd": true, "limited": true, "corp": true,
	"corporation": true, "co": true, "company": true, "plc": true, "gmbh": true, "ag": true,
	"sa": true, "sas": true, "srl": true, "bv": true, "nv": true, "lp": true, "llp": true, "pc": true,
	"pllc": true, "the": true,
}

// NameKey normalises a name for matching: accents and punctuation removed,
// lower case, legal-form words and "the" dropped, "&" read as "and".
func NameKey(name string) string {
	decomposed := norm.NFKD.String(name)
	var b strings.Builder
	for _, r := range decomposed {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r == '&':
			b.WriteString(" and ")
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(unicode.ToLower(r))
		default:
			b.WriteByte(' ')
		}
	}
	words := strings.Fields(b.String())
	kept := words[:0]
	for _, w := range words {
		if !legalSuffixes[w] {
			kept = append(kept, w)
		}
	}
	if len(kept) == 0 {
		return strings.Join(words, " ")
	}
	return strings.Join(kept, " ")
}
