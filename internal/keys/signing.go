package keys

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Signer is the instance's ed25519 key, which signs the heads of the
// evidence custody log: <data dir>/keys/signing.key (PKCS #8 PEM, 0600).
type Signer struct {
	private ed25519.PrivateKey
	Path    string
}

// OpenSigner opens the signing key of the data directory, making it on
// first use.
func OpenSigner(dataDir string) (*Signer, error) {
	path := filepath.Join(dataDir, "keys", "signing.key")
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		_, priv, err := ed25519.GenerateKey(nil)
		if err != nil {
			return nil, err
		}
		der, err := x509.MarshalPKCS8PrivateKey(priv)
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("keys: %w", err)
		}
		if err := writeFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})); err != nil {
			return nil, err
		}
		return &Signer{private: priv, Path: path}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, fmt.Errorf("keys: %s holds no PEM key", path)
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	priv, ok := key.(ed25519.PrivateKey)
	if err != nil || !ok {
		return nil, fmt.Errorf("keys: %s is not an ed25519 key", path)
	}
	return &Signer{private: priv, Path: path}, nil
}

// Sign signs message.
func (s *Signer) Sign(message []byte) []byte { return ed25519.Sign(s.private, message) }

// Public is the public key.
func (s *Signer) Public() ed25519.PublicKey { return s.private.Public().(ed25519.PublicKey) }

// PublicPEM is the public key as PEM (PKIX), as openssl reads it.
func (s *Signer) PublicPEM() []byte { return PublicPEM(s.Public()) }

// PublicPEM writes an ed25519 public key as PEM (PKIX).
func PublicPEM(pub ed25519.PublicKey) []byte {
	der, _ := x509.MarshalPKIXPublicKey(pub)
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// Fingerprint names a public key: the SHA-256 of its PKIX form, in hex, as
// `openssl pkey -pubin -outform DER | sha256sum` prints it.
func Fingerprint(pub ed25519.PublicKey) string {
	der, _ := x509.MarshalPKIXPublicKey(pub)
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// ParsePublicPEM reads an ed25519 public key from PEM.
func ParsePublicPEM(b []byte) (ed25519.PublicKey, error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, errors.New("no PEM public key")
	}
	key, err := x509.ParsePKIXPublicKey(block.Bytes)
	pub, ok := key.(ed25519.PublicKey)
	if err != nil || !ok {
		return nil, errors.New("not an ed25519 public key")
	}
	return pub, nil
}
