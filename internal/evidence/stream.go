package evidence

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/harmtrace/harmtrace/internal/keys"
)

// A file of evidence is encrypted as a stream of chunks, so that memory
// stays flat for a file of any size: each chunk of 64 KiB is sealed with
// AES-256-GCM under a key derived for this file alone (HKDF of the case's
// or incident's key with a random salt), its nonce the chunk's number and
// a flag on the last chunk (the STREAM construction), so chunks cannot be
// reordered, dropped or cut off without the opening failing.
//
//	"HTEV1\n" | salt (32) | nonce prefix (7) | chunk … | last chunk
const (
	magic     = "HTEV1\n"
	chunkSize = 64 << 10
	saltSize  = 32
	prefixLen = 7
)

func fileAEAD(key keys.Key, salt []byte) (cipher.AEAD, error) {
	k, err := key.Derive("harmtrace evidence file v1", salt)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func chunkNonce(prefix []byte, n uint32, last bool) []byte {
	nonce := make([]byte, 12)
	copy(nonce, prefix)
	binary.BigEndian.PutUint32(nonce[prefixLen:], n)
	if last {
		nonce[11] = 1
	}
	return nonce
}

// encrypt copies src to dst encrypted, and returns the bytes read.
func encrypt(dst io.Writer, src io.Reader, key keys.Key) (int64, error) {
	header := make([]byte, len(magic)+saltSize+prefixLen)
	copy(header, magic)
	_, _ = rand.Read(header[len(magic):])
	salt, prefix := header[len(magic):len(magic)+saltSize], header[len(magic)+saltSize:]
	aead, err := fileAEAD(key, salt)
	if err != nil {
		return 0, err
	}
	if _, err := dst.Write(header); err != nil {
		return 0, err
	}
	// Read one chunk ahead, to know which chunk is the last.
	cur, next := make([]byte, chunkSize), make([]byte, chunkSize)
	out := make([]byte, 0, chunkSize+aead.Overhead())
	n, err := io.ReadFull(src, cur)
	var total int64
	for counter := uint32(0); ; counter++ {
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
			return total, err
		}
		last := err != nil
		var m int
		var nextErr error
		if !last {
			m, nextErr = io.ReadFull(src, next)
			last = errors.Is(nextErr, io.EOF) // nothing after this chunk
			if nextErr != nil && !errors.Is(nextErr, io.EOF) && !errors.Is(nextErr, io.ErrUnexpectedEOF) {
				return total, nextErr
			}
		}
		if counter == ^uint32(0) {
			return total, errors.New("evidence: file too large")
		}
		out = aead.Seal(out[:0], chunkNonce(prefix, counter, last), cur[:n], nil)
		if _, err := dst.Write(out); err != nil {
			return total, err
		}
		total += int64(n)
		if last {
			return total, nil
		}
		cur, next, n, err = next, cur, m, nextErr
	}
}

// decryptingReader opens what encrypt wrote, chunk by chunk.
type decryptingReader struct {
	src     io.Reader
	aead    cipher.AEAD
	prefix  []byte
	counter uint32
	buf     []byte // ciphertext of a chunk and the byte after it
	plain   []byte
	done    bool
}

func decrypt(src io.Reader, key keys.Key) (io.Reader, error) {
	header := make([]byte, len(magic)+saltSize+prefixLen)
	if _, err := io.ReadFull(src, header); err != nil || string(header[:len(magic)]) != magic {
		return nil, errors.New("evidence: not an encrypted evidence file")
	}
	aead, err := fileAEAD(key, header[len(magic):len(magic)+saltSize])
	if err != nil {
		return nil, err
	}
	return &decryptingReader{src: src, aead: aead, prefix: header[len(magic)+saltSize:], buf: make([]byte, 0, chunkSize+aead.Overhead()+1)}, nil
}

func (d *decryptingReader) Read(p []byte) (int, error) {
	for len(d.plain) == 0 {
		if d.done {
			return 0, io.EOF
		}
		if err := d.next(); err != nil {
			return 0, err
		}
	}
	n := copy(p, d.plain)
	d.plain = d.plain[n:]
	return n, nil
}

// next opens the next chunk: a full chunk followed by more bytes is not
// the last; anything shorter is.
func (d *decryptingReader) next() error {
	size := chunkSize + d.aead.Overhead()
	// d.buf may hold one byte read ahead from the previous call.
	need := size + 1 - len(d.buf)
	tmp := d.buf[len(d.buf) : len(d.buf)+need]
	n, err := io.ReadFull(d.src, tmp)
	d.buf = d.buf[:len(d.buf)+n]
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return err
	}
	last := len(d.buf) <= size
	chunk := d.buf
	var carry []byte
	if !last {
		chunk, carry = d.buf[:size], d.buf[size:]
	}
	plain, err := d.aead.Open(nil, chunkNonce(d.prefix, d.counter, last), chunk, nil)
	if err != nil {
		return fmt.Errorf("evidence: chunk %d does not open: the file was changed or cut", d.counter)
	}
	d.plain, d.done = plain, last
	d.counter++
	d.buf = append(d.buf[:0], carry...)
	return nil
}
