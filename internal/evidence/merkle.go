package evidence

import (
	"bytes"
	"crypto/sha256"
	"errors"
)

// The custody log is a Merkle tree as RFC 9162 (Certificate Transparency
// 2.0, section 2.1) defines it: leaves hashed with a 0x00 prefix, nodes with
// 0x01, the tree split at the largest power of two below its size. Its
// inclusion proofs show that an entry is in a signed tree head; its
// consistency proofs, that a later head extends an earlier one without
// changing, removing or reordering anything.

// Hash is a SHA-256 digest.
type Hash = [sha256.Size]byte

// LeafHash is the hash of an entry's bytes as a leaf.
func LeafHash(entry []byte) Hash {
	return sha256.Sum256(append([]byte{0}, entry...))
}

func nodeHash(left, right Hash) Hash {
	b := make([]byte, 0, 1+2*sha256.Size)
	b = append(b, 1)
	b = append(b, left[:]...)
	b = append(b, right[:]...)
	return sha256.Sum256(b)
}

// split is the largest power of two smaller than n (n > 1).
func split(n int) int {
	k := 1
	for k<<1 < n {
		k <<= 1
	}
	return k
}

// RootOf is the Merkle tree hash of leaves (MTH).
func RootOf(leaves []Hash) Hash {
	switch len(leaves) {
	case 0:
		return sha256.Sum256(nil)
	case 1:
		return leaves[0]
	}
	k := split(len(leaves))
	return nodeHash(RootOf(leaves[:k]), RootOf(leaves[k:]))
}

// InclusionProof is PATH(m, D[n]): the hashes that lead from leaf m to
// the root of the tree of leaves.
func InclusionProof(m int, leaves []Hash) []Hash {
	n := len(leaves)
	if n <= 1 {
		return nil
	}
	k := split(n)
	if m < k {
		return append(InclusionProof(m, leaves[:k]), RootOf(leaves[k:]))
	}
	return append(InclusionProof(m-k, leaves[k:]), RootOf(leaves[:k]))
}

// ConsistencyProof is PROOF(m, D[n]): the hashes that show the tree of
// the first m leaves is a prefix of the tree of all n.
func ConsistencyProof(m int, leaves []Hash) []Hash {
	return subproof(m, leaves, true)
}

func subproof(m int, leaves []Hash, complete bool) []Hash {
	n := len(leaves)
	if m == n {
		if complete {
			return nil
		}
		return []Hash{RootOf(leaves)}
	}
	k := split(n)
	if m <= k {
		return append(subproof(m, leaves[:k], complete), RootOf(leaves[k:]))
	}
	return append(subproof(m-k, leaves[k:], false), RootOf(leaves[:k]))
}

// ErrProof is the answer to a proof that does not hold.
var ErrProof = errors.New("the proof does not hold")

// VerifyInclusion checks that leaf is entry index of the tree of size with
// root (RFC 9162, 2.1.3.2).
func VerifyInclusion(index, size int, leaf Hash, proof []Hash, root Hash) error {
	if index < 0 || index >= size {
		return ErrProof
	}
	fn, sn, r := index, size-1, leaf
	for _, p := range proof {
		if sn == 0 {
			return ErrProof
		}
		if fn&1 == 1 || fn == sn {
			r = nodeHash(p, r)
			for fn&1 == 0 && fn != 0 {
				fn >>= 1
				sn >>= 1
			}
		} else {
			r = nodeHash(r, p)
		}
		fn >>= 1
		sn >>= 1
	}
	if sn != 0 || !bytes.Equal(r[:], root[:]) {
		return ErrProof
	}
	return nil
}

// VerifyConsistency checks that the tree of size second with root
// secondRoot extends the tree of size first with root firstRoot (RFC 9162,
// 2.1.4.2).
func VerifyConsistency(first, second int, firstRoot, secondRoot Hash, proof []Hash) error {
	switch {
	case first < 0 || first > second:
		return ErrProof
	case first == second:
		if len(proof) != 0 || firstRoot != secondRoot {
			return ErrProof
		}
		return nil
	case first == 0:
		if len(proof) != 0 {
			return ErrProof
		}
		return nil // the empty tree is a prefix of every tree
	case len(proof) == 0:
		return ErrProof
	}
	if first&(first-1) == 0 { // a power of two: its root is the first node
		proof = append([]Hash{firstRoot}, proof...)
	}
	fn, sn := first-1, second-1
	for fn&1 == 1 {
		fn >>= 1
		sn >>= 1
	}
	fr, sr := proof[0], proof[0]
	for _, c := range proof[1:] {
		if sn == 0 {
			return ErrProof
		}
		if fn&1 == 1 || fn == sn {
			fr = nodeHash(c, fr)
			sr = nodeHash(c, sr)
			for fn&1 == 0 && fn != 0 {
				fn >>= 1
				sn >>= 1
			}
		} else {
			sr = nodeHash(sr, c)
		}
		fn >>= 1
		sn >>= 1
	}
	if sn != 0 || fr != firstRoot || sr != secondRoot {
		return ErrProof
	}
	return nil
}
