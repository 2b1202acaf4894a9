package keys_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/harmtrace/harmtrace/internal/keys"
)

func TestKeys(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(keys.EnvKeyFile, "")
	ring, err := keys.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(ring.MasterPath())
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("master key: %v %v", info, err)
	}
	k, err := ring.Create("case--a1")
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := k.Seal("cases.content", []byte("my partner reads my messages"))
	if err != nil {
		t.Fatal(err)
	}
	wrapped, _ := os.ReadFile(filepath.Join(ring.Dir(), "case--a1.key"))
	if strings.Contains(sealed, "partner") || len(wrapped) == 0 {
		t.Fatalf("sealed %q, key file %q", sealed, wrapped)
	}
	// Another label, another case or another master key does not open it.
	if _, err := k.Open("cases.contact", sealed); err == nil {
		t.Error("a value sealed for one field opens as another")
	}
	other, _ := ring.Create("case--b2")
	if _, err := other.Open("cases.content", sealed); err == nil {
		t.Error("a value of one case opens with another's key")
	}

	// A reopened ring, and a ring after rotation, still open it.
	for _, step := range []string{"reopen", "rotate", "reopen after rotate"} {
		if step == "rotate" {
			if n, err := ring.Rotate(); err != nil || n != 2 {
				t.Fatalf("rotate: %d %v", n, err)
			}
		} else if ring, err = keys.Open(dir); err != nil {
			t.Fatal(err)
		}
		k, err := ring.Get("case--a1")
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if plain, err := k.Open("cases.content", sealed); err != nil || string(plain) != "my partner reads my messages" {
			t.Fatalf("%s: %q %v", step, plain, err)
		}
	}
	if _, err := os.Stat(ring.MasterPath() + ".new"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("rotation left master.key.new: %v", err)
	}

	// Erased is erased, for good.
	if err := ring.Erase("case--a1"); err != nil {
		t.Fatal(err)
	}
	if _, err := ring.Get("case--a1"); !errors.Is(err, keys.ErrErased) {
		t.Errorf("after erasure: %v", err)
	}
	if _, err := ring.Get("../master"); err == nil {
		t.Error("a path as a case id")
	}
}

// A rotation interrupted after rewrapping some keys (master.key.new
// written, not yet renamed) leaves every key readable.
func TestInterruptedRotation(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(keys.EnvKeyFile, filepath.Join(t.TempDir(), "elsewhere", "master.key"))
	ring, err := keys.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	k, _ := ring.Create("case--c3")
	sealed, _ := k.Seal("x", []byte("text"))
	if _, err := ring.Rotate(); err != nil {
		t.Fatal(err)
	}
	// Put the old master back as if the rename had not happened, with the
	// new one beside it.
	newKey, _ := os.ReadFile(ring.MasterPath())
	if err := os.WriteFile(ring.MasterPath()+".new", newKey, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ring.MasterPath(), []byte(strings.Repeat("ab", 32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ring, err = keys.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	k, err = ring.Get("case--c3")
	if err != nil {
		t.Fatal(err)
	}
	if plain, err := k.Open("x", sealed); err != nil || string(plain) != "text" {
		t.Fatalf("%q %v", plain, err)
	}
}
