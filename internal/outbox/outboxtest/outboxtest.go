// Package outboxtest runs, inside a test process, what the outbox
// delivers to: a real SMTP server (github.com/emersion/go-smtp) that
// offers STARTTLS with a certificate made for the test, and an HTTP
// receiver of webhooks. Tests only.
package outboxtest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/harmtrace/harmtrace/internal/outbox"
)

// Mail is a message the SMTP server accepted.
type Mail struct {
	From, To, MessageID, Subject, Body string
}

// SMTPServer is a real SMTP server on 127.0.0.1 that requires STARTTLS
// before MAIL.
type SMTPServer struct {
	Addr string
	// Client is the outbox's configuration to reach it.
	Client *outbox.SMTP
	mu     sync.Mutex
	mails  []Mail
	// stall, when set, makes the next DATA stop after its first kilobyte
	// until Release; Stalled is closed when it does.
	stall   chan struct{}
	Stalled chan struct{}
	// rejectNext makes the next RCPT fail with a temporary error.
	rejectNext int
}

// NewSMTP starts a server, stopped when the test ends.
func NewSMTP(t testing.TB) *SMTPServer {
	t.Helper()
	cert, pool := certificate(t)
	s := &SMTPServer{}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &session{s: s, c: c}, nil }))
	srv.Domain = "localhost"
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	srv.ReadTimeout, srv.WriteTimeout = 30*time.Second, 30*time.Second
	srv.MaxMessageBytes = 64 << 20
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = l.Addr().String()
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	host, port, _ := net.SplitHostPort(s.Addr)
	s.Client = &outbox.SMTP{Host: host, Port: port, From: "harmtrace@test.example",
		TLS: &tls.Config{RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS12}}
	return s
}

// Mails returns the accepted messages.
func (s *SMTPServer) Mails() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.mails...)
}

// StallNext makes the next message's DATA stop after its first kilobyte.
func (s *SMTPServer) StallNext() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stall, s.Stalled = make(chan struct{}), make(chan struct{})
}

// Release lets a stalled DATA go on.
func (s *SMTPServer) Release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stall != nil {
		close(s.stall)
		s.stall = nil
	}
}

// RejectNext makes the next n RCPT commands fail with 451.
func (s *SMTPServer) RejectNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rejectNext = n
}

type session struct {
	s        *SMTPServer
	c        *smtp.Conn
	from, to string
}

func (x *session) Reset()        { x.from, x.to = "", "" }
func (x *session) Logout() error { return nil }
func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	if _, ok := x.c.TLSConnectionState(); !ok {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "STARTTLS first"}
	}
	x.from = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	if x.s.rejectNext > 0 {
		x.s.rejectNext--
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	x.to = to
	return nil
}

// Data accepts the message only when it arrived whole: a client that dies
// mid-message leaves nothing.
func (x *session) Data(r io.Reader) error {
	x.s.mu.Lock()
	stall, stalled := x.s.stall, x.s.Stalled
	x.s.stall = nil
	x.s.mu.Unlock()
	var buf bytes.Buffer
	if stall != nil {
		if _, err := io.CopyN(&buf, r, 1024); err != nil {
			return err
		}
		close(stalled)
		<-stall
	}
	if _, err := io.Copy(&buf, r); err != nil {
		return err
	}
	m, err := mail.ReadMessage(bytes.NewReader(buf.Bytes()))
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(m.Body)
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	x.s.mails = append(x.s.mails, Mail{From: x.from, To: x.to, MessageID: m.Header.Get("Message-ID"), Subject: decodeHeader(m.Header.Get("Subject")),
		Body: string(body)})
	return nil
}

// certificate makes a self-signed certificate for localhost and 127.0.0.1
// and the pool that trusts it.
func certificate(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"}, DNSNames: []string{"localhost"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true,
		BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	parsed, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(parsed)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

// Delivery is a webhook request the receiver accepted.
type Delivery struct {
	ID, Event string
	Body      []byte
	Signed    bool
}

// Receiver is a local HTTP receiver of webhooks that checks signatures
// with Secret.
type Receiver struct {
	URL    string
	Secret string
	mu     sync.Mutex
	got    []Delivery
	// failNext answers the next n requests 500; hangNext holds the next
	// request until its client goes away (Hung is closed when it starts).
	failNext int
	hangNext bool
	Hung     chan struct{}
}

// NewReceiver starts a receiver, stopped when the test ends.
func NewReceiver(t testing.TB) *Receiver {
	rc := &Receiver{}
	srv := httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(srv.Close)
	rc.URL = srv.URL + "/hook"
	return rc
}

func (rc *Receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	rc.mu.Lock()
	fail, hang, hung := rc.failNext > 0, rc.hangNext, rc.Hung
	if fail {
		rc.failNext--
	}
	rc.hangNext = false
	rc.mu.Unlock()
	switch {
	case hang:
		close(hung)
		<-r.Context().Done() // the sender died: nothing was accepted
		return
	case fail:
		http.Error(w, "down for maintenance", http.StatusInternalServerError)
		return
	}
	rc.mu.Lock()
	rc.got = append(rc.got, Delivery{ID: r.Header.Get("X-Harmtrace-Delivery"), Event: r.Header.Get("X-Harmtrace-Event"), Body: body,
		Signed: outbox.Verify(rc.Secret, r, body)})
	rc.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// Deliveries returns the accepted requests.
func (rc *Receiver) Deliveries() []Delivery {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]Delivery(nil), rc.got...)
}

// FailNext answers the next n requests 500.
func (rc *Receiver) FailNext(n int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.failNext = n
}

// HangNext holds the next request until its sender goes away.
func (rc *Receiver) HangNext() {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.hangNext, rc.Hung = true, make(chan struct{})
}

func decodeHeader(s string) string {
	out, err := new(mime.WordDecoder).DecodeHeader(s)
	if err != nil {
		return s
	}
	return out
}
