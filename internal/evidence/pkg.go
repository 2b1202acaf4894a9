package evidence

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/keys"
)

// A package is a zip that anyone can check offline, without harmtrace's
// store, with sha256sum and openssl alone or with `harmtrace evidence
// verify`:
//
//	files/NN-name     the files, decrypted
//	manifest.json     each file's hash, size and metadata, its notes, and the
//	                  custody entries the package holds
//	custody.jsonl     those entries, each with its inclusion proof, and last
//	                  the export entry, whose detail is manifest.json's hash
//	head.json         the signed head the proofs lead to
//	head.txt, head.sig the signed message and its signature, for openssl
//	public_key.pem    the instance's ed25519 public key
//	SHA256SUMS        for sha256sum -c
//	VERIFY.txt        how to check it all
const packageFormat = "harmtrace evidence package v1"

// Manifest is manifest.json.
type Manifest struct {
	Format     string         `json:"format"`
	Scope      string         `json:"scope"`
	ExportedBy string         `json:"exported_by"`
	Items      []ManifestItem `json:"items"`
	Custody    []int64        `json:"custody_entries"`
}

// ManifestItem is one file of a package.
type ManifestItem struct {
	ID             string   `json:"id"`
	File           string   `json:"file"`
	SHA256         string   `json:"sha256"`
	Size           int64    `json:"size"`
	Metadata       Metadata `json:"metadata"`
	MetadataJSON   string   `json:"metadata_json"`
	MetadataSHA256 string   `json:"metadata_sha256"`
	AddedAt        string   `json:"added_at"`
	AddedBy        string   `json:"added_by"`
	Notes          []string `json:"notes,omitempty"` // each as the JSON its custody entry hashed
}

// packagedEntry is a line of custody.jsonl.
type packagedEntry struct {
	Entry
	LeafIndex int64    `json:"leaf_index"`
	LeafHash  string   `json:"leaf_hash"`
	Proof     []string `json:"inclusion_proof"`
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// Export writes the package of a case's or an incident's evidence to w;
// the export is itself a custody entry, the last of the package.
func (s *Store) Export(ctx context.Context, actor, scope string, w io.Writer) (int, error) {
	items, err := s.List(ctx, s.DB, scope)
	if err != nil {
		return 0, err
	}
	items = slices.DeleteFunc(items, func(it *Item) bool { return it.Erased != "" })
	prior, err := Entries(ctx, s.DB, scope)
	if err != nil {
		return 0, err
	}
	m := Manifest{Format: packageFormat, Scope: scope, ExportedBy: actor, Items: []ManifestItem{}, Custody: []int64{}}
	for i, it := range items {
		metaJSON, _ := json.Marshal(it.Metadata)
		_, raw, err := s.Notes(ctx, s.DB, it)
		if err != nil {
			return 0, err
		}
		name := unsafeName.ReplaceAllString(it.Metadata.OriginalName, "_")
		if name == "" || name == "." || name == ".." {
			name = "file"
		}
		m.Items = append(m.Items, ManifestItem{ID: it.ID, File: fmt.Sprintf("files/%02d-%s", i+1, name), SHA256: it.SHA256, Size: it.Size,
			Metadata: it.Metadata, MetadataJSON: string(metaJSON), MetadataSHA256: it.MetadataSHA256,
			AddedAt: it.AddedAt.UTC().Format("2006-01-02T15:04:05.000000Z"), AddedBy: it.AddedBy, Notes: raw})
	}
	for _, e := range prior {
		m.Custody = append(m.Custody, e.Seq)
	}
	manifest, _ := json.MarshalIndent(m, "", "  ")
	var export Entry
	var head Head
	err = s.DB.Write(ctx, db.Author{Who: actor, Why: "evidence exported"}, func(tx *db.Tx) error {
		entries, h, err := appendSigned(ctx, tx, s.Signer, Entry{ScopeID: scope, Action: "export", Actor: actor,
			ContentSHA256: sha256Hex(sums(m)), DetailSHA256: sha256Hex(manifest)})
		if err == nil {
			export, head = entries[0], h
		}
		return err
	})
	if err != nil {
		return 0, err
	}
	leaves, err := storedLeaves(ctx, s.DB)
	if err != nil {
		return 0, err
	}
	leaves = leaves[:head.Size]

	zw := zip.NewWriter(w)
	add := func(name string, data []byte) error {
		f, err := zw.Create(name)
		if err == nil {
			_, err = f.Write(data)
		}
		return err
	}
	for i, it := range items {
		rc, err := s.content(it)
		if err != nil {
			return 0, err
		}
		f, err := zw.Create(m.Items[i].File)
		if err == nil {
			_, err = io.Copy(f, rc)
		}
		rc.Close()
		if err != nil {
			return 0, err
		}
	}
	var custody bytes.Buffer
	for _, e := range append(prior, export) {
		var proof []string
		for _, h := range InclusionProof(int(e.Seq-1), leaves) {
			proof = append(proof, hexHash(h))
		}
		line, _ := json.Marshal(packagedEntry{Entry: e, LeafIndex: e.Seq - 1, LeafHash: hexHash(e.Leaf()), Proof: proof})
		custody.Write(append(line, '\n'))
	}
	headJSON, _ := json.MarshalIndent(head, "", "  ")
	sig, _ := base64.StdEncoding.DecodeString(head.Signature)
	for _, f := range []struct {
		name string
		data []byte
	}{
		{"manifest.json", manifest}, {"custody.jsonl", custody.Bytes()}, {"head.json", headJSON}, {"head.txt", head.Message()},
		{"head.sig", sig}, {"public_key.pem", s.Signer.PublicPEM()}, {"SHA256SUMS", append(sums(m), sumLine(manifest, "manifest.json")...)},
		{"VERIFY.txt", verifyText(head)},
	} {
		if err := add(f.name, f.data); err != nil {
			return 0, err
		}
	}
	return len(items), zw.Close()
}

// sums is the SHA256SUMS lines of the files, as sha256sum writes them.
func sums(m Manifest) []byte {
	var b bytes.Buffer
	for _, it := range m.Items {
		fmt.Fprintf(&b, "%s  %s\n", it.SHA256, it.File)
	}
	return b.Bytes()
}

func sumLine(data []byte, name string) []byte {
	return fmt.Appendf(nil, "%s  %s\n", sha256Hex(data), name)
}

func verifyText(h Head) []byte {
	return fmt.Appendf(nil, `How to check this evidence package
==================================

This package holds files of evidence and their chain of custody, as kept by
a harmtrace locker. Anyone can check it offline.

With harmtrace (on any machine, no store needed):

    harmtrace evidence verify PACKAGE.zip

It prints "verified: N files, M custody entries, signed by FINGERPRINT", or
names the first file or custody entry that fails.

With common tools alone, after unzipping:

1. The files and the manifest are what was exported:

       sha256sum -c SHA256SUMS

2. The head was signed by the locker's key:

       openssl pkeyutl -verify -pubin -inkey public_key.pem -rawin -in head.txt -sigfile head.sig

   and the key is the locker's: its fingerprint

       openssl pkey -pubin -in public_key.pem -outform DER | sha256sum

   must be %s, which the locker's operator
   confirms by other means (harmtrace keys show).

3. The manifest is the one the log recorded: the last line of custody.jsonl
   is the export, and its detail_sha256 is the SHA-256 of manifest.json
   (sha256sum manifest.json).

4. Each custody entry is in the signed log. Its leaf is the SHA-256 of a
   zero byte followed by these lines, each ended by a newline:

       harmtrace custody entry v1
       seq, at, item_id, scope_id, action, actor, content_sha256, detail_sha256

   and its inclusion_proof leads from that leaf to the root of head.txt by
   RFC 9162 (Certificate Transparency 2.0), section 2.1.3.2, where a node is
   the SHA-256 of the byte 0x01 followed by its two children.

The head signed %d entries of the whole log on %s; this package holds the
entries of its own files. An "add" entry's content_sha256 is the file's
SHA-256 and its detail_sha256 the SHA-256 of the item's metadata_json.
`, h.Fingerprint, h.Size, h.At)
}

// Verified is what a verification found.
type Verified struct {
	Files       int
	Entries     int
	Fingerprint string
}

func (v Verified) String() string {
	return fmt.Sprintf("verified: %d files, %d custody entries, signed by %s", v.Files, v.Entries, v.Fingerprint)
}

// Verify checks a package offline, and names the first file or custody
// entry that fails. trusted, when given, is the fingerprint the key must
// have.
func Verify(r io.ReaderAt, size int64, trusted string) (Verified, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return Verified{}, fmt.Errorf("not a package: %w", err)
	}
	files := map[string]*zip.File{}
	for _, f := range zr.File {
		files[f.Name] = f
	}
	read := func(name string) ([]byte, error) {
		f, ok := files[name]
		if !ok {
			return nil, fmt.Errorf("the package lacks %s", name)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		return io.ReadAll(io.LimitReader(rc, 64<<20))
	}
	pemKey, err := read("public_key.pem")
	if err != nil {
		return Verified{}, err
	}
	pub, err := keys.ParsePublicPEM(pemKey)
	if err != nil {
		return Verified{}, fmt.Errorf("public_key.pem: %w", err)
	}
	fingerprint := keys.Fingerprint(pub)
	if trusted != "" && !strings.EqualFold(trusted, fingerprint) {
		return Verified{}, fmt.Errorf("the package is signed by %s, not by the trusted key %s", fingerprint, trusted)
	}
	headJSON, err := read("head.json")
	if err != nil {
		return Verified{}, err
	}
	var head Head
	if err := json.Unmarshal(headJSON, &head); err != nil {
		return Verified{}, fmt.Errorf("head.json: %w", err)
	}
	if err := head.Check(pub); err != nil {
		return Verified{}, fmt.Errorf("head.json: %w", err)
	}
	if sig, err := read("head.sig"); err == nil && !ed25519.Verify(pub, head.Message(), sig) {
		return Verified{}, errors.New("head.sig is not the signature of the head")
	}
	root, err := parseHash(head.Root)
	if err != nil {
		return Verified{}, fmt.Errorf("head.json: %w", err)
	}

	custodyRaw, err := read("custody.jsonl")
	if err != nil {
		return Verified{}, err
	}
	var entries []packagedEntry
	sc := bufio.NewScanner(bytes.NewReader(custodyRaw))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for line := 1; sc.Scan(); line++ {
		var e packagedEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return Verified{}, fmt.Errorf("custody.jsonl line %d: %w", line, err)
		}
		if n := len(entries); n > 0 && e.Seq <= entries[n-1].Seq {
			return Verified{}, fmt.Errorf("custody.jsonl line %d: entry %d comes after entry %d: the entries were reordered", line, e.Seq, entries[n-1].Seq)
		}
		leaf := e.Leaf()
		if hexHash(leaf) != e.LeafHash || e.LeafIndex != e.Seq-1 {
			return Verified{}, fmt.Errorf("custody entry %d (line %d) was edited: its fields no longer give its leaf", e.Seq, line)
		}
		var proof []Hash
		for _, p := range e.Proof {
			h, err := parseHash(p)
			if err != nil {
				return Verified{}, fmt.Errorf("custody entry %d: %w", e.Seq, err)
			}
			proof = append(proof, h)
		}
		if err := VerifyInclusion(int(e.LeafIndex), int(head.Size), leaf, proof, root); err != nil {
			return Verified{}, fmt.Errorf("custody entry %d (line %d) is not in the signed log", e.Seq, line)
		}
		entries = append(entries, e)
	}
	if len(entries) == 0 || entries[len(entries)-1].Action != "export" {
		return Verified{}, errors.New("custody.jsonl does not end with the export entry: entries were removed")
	}
	export := entries[len(entries)-1]
	manifestRaw, err := read("manifest.json")
	if err != nil {
		return Verified{}, err
	}
	if sha256Hex(manifestRaw) != export.DetailSHA256 {
		return Verified{}, errors.New("manifest.json was changed: it is not the manifest the export entry recorded")
	}
	var m Manifest
	if err := json.Unmarshal(manifestRaw, &m); err != nil {
		return Verified{}, fmt.Errorf("manifest.json: %w", err)
	}
	if export.ScopeID != m.Scope {
		return Verified{}, errors.New("the export entry is of another case or incident")
	}
	held := map[int64]packagedEntry{}
	for _, e := range entries[:len(entries)-1] {
		held[e.Seq] = e
	}
	for _, seq := range m.Custody {
		if _, ok := held[seq]; !ok {
			return Verified{}, fmt.Errorf("custody entry %d is missing from custody.jsonl", seq)
		}
		delete(held, seq)
	}
	for seq := range held {
		return Verified{}, fmt.Errorf("custody entry %d is in custody.jsonl but not in the manifest", seq)
	}

	listed := map[string]bool{}
	for _, it := range m.Items {
		listed[it.File] = true
		f, ok := files[it.File]
		if !ok {
			return Verified{}, fmt.Errorf("%s is missing", it.File)
		}
		rc, err := f.Open()
		if err != nil {
			return Verified{}, err
		}
		h := sha256.New()
		n, err := io.Copy(h, rc)
		rc.Close()
		if err != nil {
			return Verified{}, fmt.Errorf("%s: %w", it.File, err)
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != it.SHA256 || n != it.Size {
			return Verified{}, fmt.Errorf("%s was changed: its SHA-256 is %s, the custody log recorded %s", it.File, got, it.SHA256)
		}
		if sha256Hex([]byte(it.MetadataJSON)) != it.MetadataSHA256 {
			return Verified{}, fmt.Errorf("%s: its metadata was changed", it.File)
		}
		added := false
		for _, e := range entries {
			if e.ItemID == it.ID && e.Action == "add" {
				if e.ContentSHA256 != it.SHA256 || e.DetailSHA256 != it.MetadataSHA256 {
					return Verified{}, fmt.Errorf("%s does not match its add entry %d", it.File, e.Seq)
				}
				added = true
			}
		}
		if !added {
			return Verified{}, fmt.Errorf("%s has no add entry in the custody log", it.File)
		}
	}
	for name := range files {
		if strings.HasPrefix(name, "files/") && !listed[name] && !strings.HasSuffix(name, "/") {
			return Verified{}, fmt.Errorf("%s is not in the manifest: a file was added", path.Clean(name))
		}
	}
	return Verified{Files: len(m.Items), Entries: len(entries), Fingerprint: fingerprint}, nil
}
