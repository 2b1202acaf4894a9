// Package keys keeps the keys that encrypt what victims write. Each case
// has its own data key (AES-256-GCM); data keys are wrapped by the master
// key and kept as files outside the database, under <data dir>/keys:
//
//	keys/master.key          the master key (32 random bytes, hex; 0600)
//	keys/cases/<case id>.key a case's data key, wrapped by the master key
//	keys/cases/outbox-webhooks.key the key of webhooks' secrets (internal/outbox)
//
// Erasing a case deletes its key file: what the database, or any backup of
// it, still holds of the case can no longer be decrypted. The database
// never holds a key, wrapped or not.
package keys

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
)

// EnvKeyFile names the master key file when it is kept elsewhere than in
// the data directory (on another volume, say).
const EnvKeyFile = "HARMTRACE_KEY_FILE"

// ErrErased is the answer for a case whose key was deleted.
var ErrErased = errors.New("the key of this case was erased")

// Ring holds the master key and finds the data keys.
type Ring struct {
	dir        string // keys/cases
	masterPath string
	mu         sync.Mutex
	master     []byte
	// next is a master key being rotated in (master.key.new): a crash
	// between rewrapping and renaming leaves both, and both are tried.
	next []byte
}

// Open opens the key ring of the data directory, creating the master key
// on first use (0600, in a 0700 directory).
func Open(dataDir string) (*Ring, error) {
	masterPath, caseDir := Paths(dataDir)
	r := &Ring{dir: caseDir, masterPath: masterPath}
	if err := os.MkdirAll(r.dir, 0o700); err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	master, err := readKey(masterPath)
	if errors.Is(err, fs.ErrNotExist) {
		master = random(32)
		err = writeKey(masterPath, master)
	}
	if err != nil {
		return nil, err
	}
	r.master = master
	if next, err := readKey(masterPath + ".new"); err == nil {
		r.next = next
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return r, nil
}

// Paths names where the key ring of dataDir lives, the master key and the
// folder of the cases' keys, without opening or creating anything: what a
// backup tells to save apart from the database.
func Paths(dataDir string) (master, cases string) {
	keyDir := filepath.Join(dataDir, "keys")
	master = os.Getenv(EnvKeyFile)
	if master == "" {
		master = filepath.Join(keyDir, "master.key")
	}
	return master, filepath.Join(keyDir, "cases")
}

// Derive returns a secret for another use than sealing cases, named by
// label: an HMAC of the label with the master key, the same on every
// server that shares the keys.
func (r *Ring) Derive(label string) []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := hmac.New(sha256.New, r.master)
	m.Write([]byte("harmtrace derive: " + label))
	return m.Sum(nil)
}

// MasterPath is where the master key is kept: it must be backed up apart
// from the database.
func (r *Ring) MasterPath() string { return r.masterPath }

// Dir is where the wrapped data keys are kept.
func (r *Ring) Dir() string { return r.dir }

// Fingerprint names the master key without revealing it.
func (r *Ring) Fingerprint() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	sum := sha256.Sum256(r.master)
	return hex.EncodeToString(sum[:8])
}

func readKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("keys: %s is not a key of 64 hex digits", path)
	}
	return key, nil
}

// writeKey writes a key file whole or not at all.
func writeKey(path string, key []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("keys: %w", err)
	}
	return writeFile(path, []byte(hex.EncodeToString(key)+"\n"))
}

func writeFile(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("keys: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("keys: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("keys: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("keys: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("keys: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("keys: %w", err)
	}
	return syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	_ = d.Sync() // not every file system syncs a directory
	return nil
}

func random(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return b
}

// validID keeps a case id usable as a file name.
var validID = regexp.MustCompile(`^[a-z0-9-]{1,80}$`)

func (r *Ring) path(id string) (string, error) {
	if !validID.MatchString(id) {
		return "", fmt.Errorf("keys: %q is no case id", id)
	}
	return filepath.Join(r.dir, id+".key"), nil
}

// Create makes the data key of a new case.
func (r *Ring) Create(id string) (Key, error) {
	path, err := r.path(id)
	if err != nil {
		return Key{}, err
	}
	key := random(32)
	r.mu.Lock()
	wrapped, err := seal(r.master, key, []byte("case-key:"+id))
	r.mu.Unlock()
	if err != nil {
		return Key{}, err
	}
	if err := writeFile(path, []byte(wrapped+"\n")); err != nil {
		return Key{}, err
	}
	return Key{id: id, key: key}, nil
}

// Get returns the data key of a case, or ErrErased.
func (r *Ring) Get(id string) (Key, error) {
	path, err := r.path(id)
	if err != nil {
		return Key{}, err
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Key{}, ErrErased
	}
	if err != nil {
		return Key{}, fmt.Errorf("keys: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	aad := []byte("case-key:" + id)
	key, err := open(r.master, strings.TrimSpace(string(b)), aad)
	if err != nil && r.next != nil {
		key, err = open(r.next, strings.TrimSpace(string(b)), aad)
	}
	if err != nil {
		return Key{}, fmt.Errorf("keys: the key of case %s does not open with the master key: %w", id, err)
	}
	return Key{id: id, key: key}, nil
}

// Erase deletes the data key of a case: its content is unreadable from
// then on, wherever copies of the database are.
func (r *Ring) Erase(id string) error {
	path, err := r.path(id)
	if err != nil {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("keys: %w", err)
	}
	return syncDir(r.dir)
}

// Rotate replaces the master key: every data key is rewrapped by a new
// one. The new key is written first (master.key.new) and renamed over the
// old one last, so a crash at any point leaves keys that open.
func (r *Ring) Rotate() (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	next := random(32)
	if err := writeKey(r.masterPath+".new", next); err != nil {
		return 0, err
	}
	r.next = next
	entries, err := os.ReadDir(r.dir)
	if err != nil {
		return 0, fmt.Errorf("keys: %w", err)
	}
	n := 0
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".key")
		if !ok || !validID.MatchString(id) {
			continue
		}
		path := filepath.Join(r.dir, e.Name())
		b, err := os.ReadFile(path)
		if err != nil {
			return n, fmt.Errorf("keys: %w", err)
		}
		aad := []byte("case-key:" + id)
		key, err := open(r.master, strings.TrimSpace(string(b)), aad)
		if err != nil {
			if _, again := open(next, strings.TrimSpace(string(b)), aad); again == nil {
				continue // rewrapped by an earlier, interrupted rotation
			}
			return n, fmt.Errorf("keys: %s does not open with the master key: %w", path, err)
		}
		wrapped, err := seal(next, key, aad)
		if err != nil {
			return n, err
		}
		if err := writeFile(path, []byte(wrapped+"\n")); err != nil {
			return n, err
		}
		n++
	}
	if err := os.Rename(r.masterPath+".new", r.masterPath); err != nil {
		return n, fmt.Errorf("keys: %w", err)
	}
	if err := syncDir(filepath.Dir(r.masterPath)); err != nil {
		return n, err
	}
	r.master, r.next = next, nil
	return n, nil
}

// Key is the data key of one case.
type Key struct {
	id  string
	key []byte
}

// Seal encrypts plain for the field of the case's record named by label
// (a table, a row and a column, say): a sealed value copied to another
// field or another case does not open.
func (k Key) Seal(label string, plain []byte) (string, error) {
	return seal(k.key, plain, []byte(k.id+"\x00"+label))
}

// Open decrypts what Seal sealed under the same label.
func (k Key) Open(label, sealed string) ([]byte, error) {
	return open(k.key, sealed, []byte(k.id+"\x00"+label))
}

func seal(key, plain, aad []byte) (string, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return "", err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return "", err
	}
	nonce := random(gcm.NonceSize())
	return base64.StdEncoding.EncodeToString(gcm.Seal(nonce, nonce, plain, aad)), nil
}

func open(key []byte, sealed string, aad []byte) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil {
		return nil, fmt.Errorf("not a sealed value: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	if len(raw) < gcm.NonceSize() {
		return nil, errors.New("a sealed value too short")
	}
	return gcm.Open(nil, raw[:gcm.NonceSize()], raw[gcm.NonceSize():], aad)
}

// Ephemeral is a data key kept nowhere: for work that must cost what
// opening a real case costs, and open nothing.
func Ephemeral(id string) Key { return Key{id: id, key: random(32)} }

// Derive returns a key of 32 bytes for one use of the data key (HKDF-
// SHA256 with the salt and the use's name), so that the data key itself
// never leaves this package.
func (k Key) Derive(use string, salt []byte) ([]byte, error) {
	return hkdf.Key(sha256.New, k.key, salt, use, 32)
}

// GetOrCreate returns the data key of id, making it on first use: for
// records whose key is never erased apart from them (an incident's
// evidence). A case's key is made with Create and only read with Get, so
// that an erased case's key is never made anew.
func (r *Ring) GetOrCreate(id string) (Key, error) {
	k, err := r.Get(id)
	if errors.Is(err, ErrErased) {
		return r.Create(id)
	}
	return k, err
}
