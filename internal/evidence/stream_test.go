package evidence

import (
	"bytes"
	"crypto/rand"
	"io"
	"testing"

	"github.com/harmtrace/harmtrace/internal/keys"
)

func TestStreamEncryption(t *testing.T) {
	key := keys.Ephemeral("case--test")
	for _, size := range []int{0, 1, chunkSize - 1, chunkSize, chunkSize + 1, 3*chunkSize + 17} {
		plain := make([]byte, size)
		_, _ = rand.Read(plain)
		var sealed bytes.Buffer
		n, err := encrypt(&sealed, bytes.NewReader(plain), key)
		if err != nil || n != int64(size) {
			t.Fatalf("%d: %d %v", size, n, err)
		}
		r, err := decrypt(bytes.NewReader(sealed.Bytes()), key)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("%d: round trip %v", size, err)
		}
		// A flipped byte, a cut-off last chunk, another key: refused.
		b := sealed.Bytes()
		for name, broken := range map[string][]byte{
			"flipped": append(append([]byte{}, b[:len(b)-1]...), b[len(b)-1]^1),
			"cut":     b[:len(b)-16],
		} {
			if r, err := decrypt(bytes.NewReader(broken), key); err == nil {
				if _, err := io.ReadAll(r); err == nil {
					t.Errorf("%d bytes, %s: opens", size, name)
				}
			}
		}
		if size > chunkSize {
			// Dropping the whole last chunk leaves a non-last chunk last.
			dropped := b[:len(magic)+saltSize+prefixLen+chunkSize+16]
			if r, err := decrypt(bytes.NewReader(dropped), key); err == nil {
				if _, err := io.ReadAll(r); err == nil {
					t.Errorf("%d bytes without their last chunk: opens", size)
				}
			}
		}
		if r, err := decrypt(bytes.NewReader(b), keys.Ephemeral("case--other")); err == nil {
			if _, err := io.ReadAll(r); err == nil {
				t.Errorf("%d bytes open with another key", size)
			}
		}
	}
}
