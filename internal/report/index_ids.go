package report

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"strings"
)

// incidentIDs maps incident ids to the index's numbers and back. Almost
// every id is "incident--" and a UUID in its canonical form: those are
// kept as their 16 bytes, found by a table of numbers probed by the UUID's
// own bits, without a pointer for the collector to follow (a million ids
// as strings, with a map of them, took 110 MB; so, 25 MB). Any other id is
// kept as it is.
type incidentIDs struct {
	uuids   []uuid // by number; zero for a free number or an id kept in plain
	byUUID  numberTable
	plain   map[uint32]string // by number, the ids of another form
	byPlain map[string]uint32
}

type uuid [16]byte

const incidentPrefix = "incident--"

func newIncidentIDs(n int) incidentIDs {
	return incidentIDs{uuids: make([]uuid, 0, n), byUUID: newNumberTable(n),
		plain: map[uint32]string{}, byPlain: map[string]uint32{}}
}

// parseID returns the UUID of an id of the canonical form: the prefix,
// then lowercase hex in groups of 8-4-4-4-12. Only that form is kept as
// bytes, so that id gives back exactly the id that was put.
func parseID(id string) (uuid, bool) {
	var u uuid
	s, ok := strings.CutPrefix(id, incidentPrefix)
	if !ok || len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, false
	}
	hexDigits := s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:36]
	for i := 0; i < len(hexDigits); i++ {
		if c := hexDigits[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return u, false
		}
	}
	if _, err := hex.Decode(u[:], []byte(hexDigits)); err != nil {
		return u, false
	}
	return u, u != uuid{} // the zero UUID would read as a free number
}

// lookup returns the number of an id.
func (t *incidentIDs) lookup(id string) (uint32, bool) {
	if u, ok := parseID(id); ok {
		return t.byUUID.find(t.uuids, u)
	}
	n, ok := t.byPlain[id]
	return n, ok
}

// count is how many numbers were given, free ones included.
func (t *incidentIDs) count() int { return len(t.uuids) }

// set gives number n to id: n is either a free number or count().
func (t *incidentIDs) set(n uint32, id string) {
	u, isUUID := parseID(id)
	if int(n) == len(t.uuids) {
		t.uuids = append(t.uuids, uuid{})
	}
	if isUUID {
		t.uuids[n] = u
		t.byUUID.add(t.uuids, n)
	} else {
		t.plain[n] = id
		t.byPlain[id] = n
	}
}

// remove frees number n, which id had.
func (t *incidentIDs) remove(n uint32, id string) {
	if u, ok := parseID(id); ok {
		t.byUUID.remove(t.uuids, u)
	} else {
		delete(t.plain, n)
		delete(t.byPlain, id)
	}
	t.uuids[n] = uuid{}
}

// id returns the id of number n.
func (t *incidentIDs) id(n uint32) string {
	u := t.uuids[n]
	if u == (uuid{}) {
		return t.plain[n]
	}
	var b [len(incidentPrefix) + 36]byte
	copy(b[:], incidentPrefix)
	hex.Encode(b[10:18], u[0:4])
	b[18] = '-'
	hex.Encode(b[19:23], u[4:6])
	b[23] = '-'
	hex.Encode(b[24:28], u[6:8])
	b[28] = '-'
	hex.Encode(b[29:33], u[8:10])
	b[33] = '-'
	hex.Encode(b[34:46], u[10:16])
	return string(b[:])
}

// less orders numbers by their ids, as the strings compare: two ids kept
// as bytes compare as their bytes (lowercase hex keeps the order).
func (t *incidentIDs) less(a, b uint32) bool {
	ua, ub := t.uuids[a], t.uuids[b]
	if ua != (uuid{}) && ub != (uuid{}) {
		return bytes.Compare(ua[:], ub[:]) < 0
	}
	return t.id(a) < t.id(b)
}

// numberTable finds the number of a UUID among uuids: an open-addressing
// table (linear probing) of numbers + 1, 0 for an empty slot, at most
// half full. UUIDs are random (version 4, or SHA-1 for version 5), so
// their first bytes are the hash.
type numberTable struct {
	slots []uint32
	used  int
}

func newNumberTable(n int) numberTable {
	size := 16
	for size < 2*n {
		size *= 2
	}
	return numberTable{slots: make([]uint32, size)}
}

func (t *numberTable) home(u uuid) int {
	return int(binary.LittleEndian.Uint64(u[:8]) & uint64(len(t.slots)-1))
}

func (t *numberTable) find(uuids []uuid, u uuid) (uint32, bool) {
	for i := t.home(u); ; i = (i + 1) & (len(t.slots) - 1) {
		s := t.slots[i]
		if s == 0 {
			return 0, false
		}
		if uuids[s-1] == u {
			return s - 1, true
		}
	}
}

// add puts number n, whose UUID is uuids[n] and not in the table yet.
func (t *numberTable) add(uuids []uuid, n uint32) {
	if 2*(t.used+1) > len(t.slots) {
		t.grow(uuids)
	}
	t.place(uuids[n], n)
	t.used++
}

func (t *numberTable) place(u uuid, n uint32) {
	i := t.home(u)
	for t.slots[i] != 0 {
		i = (i + 1) & (len(t.slots) - 1)
	}
	t.slots[i] = n + 1
}

func (t *numberTable) grow(uuids []uuid) {
	old := t.slots
	t.slots = make([]uint32, 2*len(old))
	for _, s := range old {
		if s != 0 {
			t.place(uuids[s-1], s-1)
		}
	}
}

// remove takes u out, while uuids still holds it, and moves the entries
// after it back into the gap so that no probe stops early (no tombstones).
func (t *numberTable) remove(uuids []uuid, u uuid) {
	mask := len(t.slots) - 1
	i := t.home(u)
	for {
		s := t.slots[i]
		if s == 0 {
			return
		}
		if uuids[s-1] == u {
			break
		}
		i = (i + 1) & mask
	}
	t.slots[i] = 0
	t.used--
	for j := (i + 1) & mask; t.slots[j] != 0; j = (j + 1) & mask {
		// The entry at j may move to the gap at i when its home is not
		// in the cyclic range (i, j].
		h := t.home(uuids[t.slots[j]-1])
		if (j > i && (h <= i || h > j)) || (j < i && h <= i && h > j) {
			t.slots[i], t.slots[j] = t.slots[j], 0
			i = j
		}
	}
}
