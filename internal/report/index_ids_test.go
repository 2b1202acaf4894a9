package report

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestIncidentIDs: every id comes back exactly as it was put, whatever its
// form, numbers are found again after frees and reuse, and the order of
// numbers is the order of their ids as strings.
func TestIncidentIDs(t *testing.T) {
	ids := []string{
		"incident--0b9d2c7e-1f3a-4c5d-9e8f-a1b2c3d4e5f6", // canonical: kept as bytes
		"incident--ffffffff-ffff-4fff-bfff-ffffffffffff",
		"incident--0B9D2C7E-1F3A-4C5D-9E8F-A1B2C3D4E5F6", // uppercase: kept as it is
		"incident--00000000-0000-0000-0000-000000000000", // the zero UUID
		"incident--0b9d2c7e1f3a4c5d9e8fa1b2c3d4e5f6",     // no dashes
		"incident--0b9d2c7e-1f3a-4c5d-9e8f-a1b2c3d4e5fg", // not hex
		"incident--a",
		"campaign--0b9d2c7e-1f3a-4c5d-9e8f-a1b2c3d4e5f6",
		"incident--",
		"",
	}
	tab := newIncidentIDs(0)
	for i, id := range ids {
		tab.set(uint32(i), id)
	}
	for i, id := range ids {
		if n, ok := tab.lookup(id); !ok || n != uint32(i) {
			t.Errorf("lookup(%q) = %d, %v; want %d", id, n, ok, i)
		}
		if got := tab.id(uint32(i)); got != id {
			t.Errorf("id(%d) = %q; want %q", i, got, id)
		}
	}
	if _, ok := parseID(ids[0]); !ok {
		t.Error("a canonical id is not kept as bytes")
	}
	// The order of numbers is the order of the ids.
	nums := make([]uint32, len(ids))
	for i := range nums {
		nums[i] = uint32(i)
	}
	slices.SortFunc(nums, func(a, b uint32) int {
		if tab.less(a, b) {
			return -1
		}
		if tab.less(b, a) {
			return 1
		}
		return 0
	})
	sorted := slices.Clone(ids)
	slices.Sort(sorted)
	for i, n := range nums {
		if tab.id(n) != sorted[i] {
			t.Fatalf("order: position %d holds %q, want %q", i, tab.id(n), sorted[i])
		}
	}
	// Free two numbers, give them to other ids.
	tab.remove(0, ids[0])
	tab.remove(6, ids[6])
	for _, id := range []string{ids[0], ids[6]} {
		if _, ok := tab.lookup(id); ok {
			t.Errorf("%q is found after its removal", id)
		}
	}
	tab.set(6, "incident--11111111-2222-4333-8444-555555555555")
	tab.set(0, "incident--b")
	if n, ok := tab.lookup("incident--b"); !ok || n != 0 || tab.id(0) != "incident--b" {
		t.Errorf("a reused number: %d, %v, %q", n, ok, tab.id(0))
	}
	if n, ok := tab.lookup("incident--11111111-2222-4333-8444-555555555555"); !ok || n != 6 {
		t.Errorf("a reused number: %d, %v", n, ok)
	}
	if tab.count() != len(ids) {
		t.Errorf("count %d, want %d", tab.count(), len(ids))
	}
}

// TestNumberTable: random adds and removes, with a small table that grows
// and probes wrap around, agree with a map.
func TestNumberTable(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var uuids []uuid
	tab := newNumberTable(0)
	want := map[uuid]uint32{}
	for step := range 20_000 {
		if len(want) > 0 && rng.IntN(3) == 0 {
			// Remove a random present one.
			n := uint32(rng.IntN(len(uuids)))
			u := uuids[n]
			if _, ok := want[u]; !ok {
				continue
			}
			tab.remove(uuids, u)
			delete(want, u)
			continue
		}
		var u uuid
		for i := range u {
			u[i] = byte(rng.IntN(256))
		}
		if step%7 == 0 {
			u[0], u[1] = 0, 0 // crowd some homes together
		}
		uuids = append(uuids, u)
		n := uint32(len(uuids) - 1)
		tab.add(uuids, n)
		want[u] = n
		if step%500 == 0 {
			for u, n := range want {
				if got, ok := tab.find(uuids, u); !ok || got != n {
					t.Fatalf("step %d: find = %d, %v; want %d", step, got, ok, n)
				}
			}
		}
	}
	for i, u := range uuids {
		got, ok := tab.find(uuids, u)
		n, present := want[u]
		if ok != present || (ok && got != n) {
			t.Fatalf("uuid %d: find = %d, %v; want %d, %v", i, got, ok, n, present)
		}
	}
	if tab.used != len(want) {
		t.Errorf("used %d, want %d", tab.used, len(want))
	}
}
