package evidence

import (
	"fmt"
	"testing"
)

// Every inclusion and consistency proof of trees of 1 to 40 leaves holds,
// and none holds for a wrong leaf, index, size or root.
func TestMerkleProofs(t *testing.T) {
	var leaves []Hash
	for i := range 40 {
		leaves = append(leaves, LeafHash([]byte(fmt.Sprint("entry ", i))))
	}
	for n := 1; n <= len(leaves); n++ {
		tree := leaves[:n]
		root := RootOf(tree)
		for m := range n {
			proof := InclusionProof(m, tree)
			if err := VerifyInclusion(m, n, tree[m], proof, root); err != nil {
				t.Fatalf("inclusion of %d in %d: %v", m, n, err)
			}
			if m+1 < n && VerifyInclusion(m, n, tree[m+1], proof, root) == nil {
				t.Fatalf("leaf %d passes as %d in %d", m+1, m, n)
			}
			if n > 1 && VerifyInclusion((m+1)%n, n, tree[m], proof, root) == nil {
				t.Fatalf("leaf %d passes at index %d in %d", m, (m+1)%n, n)
			}
		}
		for m := 1; m <= n; m++ {
			proof := ConsistencyProof(m, tree)
			if err := VerifyConsistency(m, n, RootOf(leaves[:m]), root, proof); err != nil {
				t.Fatalf("consistency %d → %d: %v", m, n, err)
			}
			if m < n {
				// A changed earlier tree does not pass.
				changed := append([]Hash(nil), leaves[:m]...)
				changed[m-1] = LeafHash([]byte("edited"))
				if VerifyConsistency(m, n, RootOf(changed), root, proof) == nil {
					t.Fatalf("consistency %d → %d holds for an edited tree", m, n)
				}
			}
		}
	}
	roots := prefixRoots(leaves)
	for n := range len(leaves) + 1 {
		if roots[n] != RootOf(leaves[:n]) {
			t.Fatalf("the prefix root of %d leaves is not MTH", n)
		}
	}
	// RFC 9162's definition by hand, for three leaves.
	want := nodeHash(nodeHash(leaves[0], leaves[1]), leaves[2])
	if RootOf(leaves[:3]) != want {
		t.Error("the root of three leaves is not MTH")
	}
}
