package outbox

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/mail"
	"net/smtp"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// EnvSMTP names the variable that configures email, as serve's --smtp.
const EnvSMTP = "HARMTRACE_SMTP"

// SMTP is where email goes: smtp://[user[:password]@]host[:port]?from=ADDRESS
// (port 587 by default). The connection is always upgraded with STARTTLS
// before anything is sent; a server that does not offer it is refused.
type SMTP struct {
	Host     string
	Port     string
	User     string
	Password string
	From     string
	// TLS is the configuration of the STARTTLS upgrade (nil: the system's
	// roots, verifying Host).
	TLS *tls.Config
}

// ParseSMTP reads an smtp:// URL.
func ParseSMTP(raw string) (*SMTP, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "smtp" || u.Hostname() == "" {
		return nil, errors.New("--smtp: want smtp://[user[:password]@]host[:port]?from=ADDRESS")
	}
	s := &SMTP{Host: u.Hostname(), Port: u.Port(), From: u.Query().Get("from")}
	if s.Port == "" {
		s.Port = "587"
	}
	if u.User != nil {
		s.User = u.User.Username()
		s.Password, _ = u.User.Password()
	}
	if a, err := mail.ParseAddress(s.From); err != nil || a.Address != s.From {
		return nil, fmt.Errorf("--smtp: from=%q is not an email address", s.From)
	}
	return s, nil
}

// String names the server without its password.
func (s *SMTP) String() string {
	u := url.URL{Scheme: "smtp", Host: net.JoinHostPort(s.Host, s.Port)}
	if s.User != "" {
		u.User = url.User(s.User)
	}
	return u.String()
}

// Send delivers one message; ctx ending closes the connection, so a
// message cut off before its end is not accepted by the server.
func (s *SMTP) Send(ctx context.Context, to, messageID, subject, body string) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(s.Host, s.Port))
	if err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(2 * time.Minute))
	c, err := smtp.NewClient(conn, s.Host)
	if err != nil {
		return err
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); !ok {
		return errors.New("the SMTP server does not offer STARTTLS; harmtrace sends no email in the clear")
	}
	cfg := s.TLS
	if cfg == nil {
		cfg = &tls.Config{ServerName: s.Host, MinVersion: tls.VersionTLS12}
	}
	if err := c.StartTLS(cfg); err != nil {
		return fmt.Errorf("STARTTLS: %w", err)
	}
	if s.User != "" {
		if err := c.Auth(smtp.PlainAuth("", s.User, s.Password, s.Host)); err != nil {
			return fmt.Errorf("SMTP authentication: %w", err)
		}
	}
	if err := c.Mail(s.From); err != nil {
		return err
	}
	if err := c.Rcpt(to); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(compose(s.From, to, messageID, subject, body)); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// compose writes the message: its Message-ID is the outbox row's, so a
// receiver can tell a repeated delivery.
func compose(from, to, messageID, subject, body string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%s@harmtrace>\r\nDate: %s\r\n", from, to,
		mime.QEncoding.Encode("utf-8", subject), messageID, time.Now().UTC().Format(time.RFC1123Z))
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\nAuto-Submitted: auto-generated\r\n\r\n")
	for _, line := range strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n") {
		if strings.HasPrefix(line, ".") {
			line = "." + line
		}
		b.WriteString(line + "\r\n")
	}
	return b.Bytes()
}

// Payload is the JSON body of a webhook delivery.
type Payload struct {
	ID       string `json:"id"`
	Event    string `json:"event"`
	Subject  string `json:"subject"`
	Text     string `json:"text"`
	Link     string `json:"link,omitempty"`
	RecordID string `json:"record_id,omitempty"`
	Created  string `json:"created"`
}

// Signature is the value of the X-Harmtrace-Signature header: HMAC-SHA256,
// keyed with the webhook's secret, of the timestamp, a dot and the body.
func Signature(secret, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp + "."))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify reports whether a delivery's signature is right, for receivers
// (and tests).
func Verify(secret string, r *http.Request, body []byte) bool {
	want := Signature(secret, r.Header.Get("X-Harmtrace-Timestamp"), body)
	return hmac.Equal([]byte(want), []byte(r.Header.Get("X-Harmtrace-Signature")))
}

// post delivers a payload to a webhook.
func post(ctx context.Context, client *http.Client, hookURL, secret string, p Payload) error {
	body, err := json.Marshal(p)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, hookURL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "harmtrace")
	req.Header.Set("X-Harmtrace-Event", p.Event)
	req.Header.Set("X-Harmtrace-Delivery", p.ID)
	req.Header.Set("X-Harmtrace-Timestamp", ts)
	req.Header.Set("X-Harmtrace-Signature", Signature(secret, ts, body))
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("webhook answered %s", resp.Status)
	}
	return nil
}
