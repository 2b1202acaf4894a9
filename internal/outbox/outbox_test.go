package outbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/harmtrace/harmtrace/internal/account"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/db/dbtest"
	"github.com/harmtrace/harmtrace/internal/keys"
	"github.com/harmtrace/harmtrace/internal/outbox"
	"github.com/harmtrace/harmtrace/internal/outbox/outboxtest"
)

type fixture struct {
	store              *db.DB
	smtp               *outboxtest.SMTPServer
	hook               *outboxtest.Receiver
	yes, no, withdrawn string // user ids: consented, never asked, consented then withdrew
	team               string
	noHook             bool
}

func setup(t *testing.T, store *db.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{store: store, smtp: outboxtest.NewSMTP(t), hook: outboxtest.NewReceiver(t)}
	if _, err := outbox.Install(ctx, store, ring(t, t.TempDir())); err != nil {
		t.Fatal(err)
	}
	err := store.Write(ctx, db.Author{Who: "test"}, func(tx *db.Tx) error {
		var users []*account.User
		for _, email := range []string{"yes@a.example", "no@a.example", "withdrawn@a.example"} {
			u, _, err := account.AddUser(ctx, tx, email, "case-worker", "Team A", "")
			if err != nil {
				return err
			}
			users = append(users, u)
		}
		f.yes, f.no, f.withdrawn, f.team = users[0].ID, users[1].ID, users[2].ID, users[0].TeamID
		if err := outbox.SetConsent(ctx, tx, f.yes, true); err != nil {
			return err
		}
		if err := outbox.SetConsent(ctx, tx, f.withdrawn, true); err != nil {
			return err
		}
		_, secret, err := outbox.AddWebhook(ctx, tx, f.team, f.hook.URL)
		f.hook.Secret = secret
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// ring opens the key ring of a data directory.
func ring(t *testing.T, dir string) *keys.Ring {
	t.Helper()
	t.Setenv(keys.EnvKeyFile, "")
	r, err := keys.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (f *fixture) enqueue(t *testing.T, m outbox.Message, users ...string) int {
	t.Helper()
	n := 0
	err := f.store.Write(context.Background(), db.Author{Who: "test"}, func(tx *db.Tx) error {
		a, err := outbox.ToUsers(context.Background(), tx, users, m)
		if err != nil || f.noHook {
			n = a
			return err
		}
		b, err := outbox.ToTeam(context.Background(), tx, f.team, m)
		n = a + b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (f *fixture) worker() *outbox.Worker {
	return &outbox.Worker{DB: f.store, SMTP: f.smtp.Client, BaseURL: "https://harmtrace.test", Lease: 300 * time.Millisecond,
		Backoff: func(int) time.Duration { return 0 }, MaxAttempts: 3}
}

// TestDeliveryByEmailAndWebhook sends one notification through a real
// SMTP server with STARTTLS and a signed webhook: only the users who
// consented get email, a consent withdrawn before sending withholds it,
// and admins see every row's status.
func TestDeliveryByEmailAndWebhook(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		ctx := context.Background()
		f := setup(t, store)
		rows := f.enqueue(t, outbox.Message{Event: "alert.raised", Subject: "3 new alerts for Refuge Saint-Martin",
			Body: "CVE-2021-26855 …", Link: "/work/organisations/identity--x/alerts", RecordID: "identity--x"}, f.yes, f.no, f.withdrawn)
		if rows != 3 { // yes, withdrawn (consent still given), the webhook; never no
			t.Fatalf("%d rows written", rows)
		}
		err := store.Write(ctx, db.Author{Who: "withdrawn@a.example"}, func(tx *db.Tx) error {
			return outbox.SetConsent(ctx, tx, f.withdrawn, false)
		})
		if err != nil {
			t.Fatal(err)
		}
		// Without an SMTP server, email waits, its attempts unspent.
		idle := f.worker()
		idle.SMTP = nil
		f.hook.FailNext(1)
		if n, _ := idle.Once(ctx); n != 0 {
			t.Fatalf("a worker without SMTP delivered %d", n)
		}
		if rows, _ := outbox.List(ctx, store, f.team, outbox.Pending, 10); len(rows) != 3 || rows[0].Attempts+rows[1].Attempts+rows[2].Attempts != 1 {
			t.Fatalf("pending after a pass without SMTP: %+v", rows)
		}
		n, err := f.worker().Once(ctx)
		if err != nil || n != 2 {
			t.Fatalf("delivered %d: %v", n, err)
		}
		mails := f.smtp.Mails()
		if len(mails) != 1 || mails[0].To != "yes@a.example" || mails[0].Subject != "3 new alerts for Refuge Saint-Martin" ||
			!strings.Contains(mails[0].Body, "https://harmtrace.test/work/organisations/identity--x/alerts") {
			t.Fatalf("mails: %+v", mails)
		}
		got := f.hook.Deliveries()
		if len(got) != 1 || !got[0].Signed || got[0].Event != "alert.raised" {
			t.Fatalf("webhook: %+v", got)
		}
		var p outbox.Payload
		if err := json.Unmarshal(got[0].Body, &p); err != nil || p.RecordID != "identity--x" || p.Link == "" {
			t.Fatalf("payload %s: %v", got[0].Body, err)
		}
		counts, err := outbox.Counts(ctx, store, f.team)
		if err != nil || counts[outbox.Delivered] != 2 || counts[outbox.Withheld] != 1 {
			t.Fatalf("counts %v %v", counts, err)
		}
		// A forged signature does not verify.
		req, _ := http.NewRequest("POST", "/", nil)
		req.Header.Set("X-Harmtrace-Timestamp", "1")
		req.Header.Set("X-Harmtrace-Signature", outbox.Signature("wrong", "1", got[0].Body))
		if outbox.Verify(f.hook.Secret, req, got[0].Body) {
			t.Error("a wrong secret's signature verified")
		}
	})
}

// TestRetriesThenFailure: temporary failures are retried with backoff and
// recorded; after the last attempt the row fails, and an admin's retry
// makes it due again.
func TestRetriesThenFailure(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		ctx := context.Background()
		f := setup(t, store)
		f.smtp.RejectNext(1)
		f.hook.FailNext(5)
		f.enqueue(t, outbox.Message{Event: "warning.retarget", Subject: "Attacked again", Body: "…"}, f.yes, f.no)
		w := f.worker()
		clock := time.Now()
		w.Now = func() time.Time { return clock }
		w.Backoff = func(attempt int) time.Duration { return time.Duration(attempt) * time.Minute }
		if n, _ := w.Once(ctx); n != 0 {
			t.Fatalf("first pass delivered %d", n)
		}
		if n, _ := w.Once(ctx); n != 0 {
			t.Fatal("a row was retried before its backoff ended")
		}
		clock = clock.Add(61 * time.Second)
		if n, _ := w.Once(ctx); n != 1 { // the email
			t.Fatalf("second pass delivered %d", n)
		}
		clock = clock.Add(3 * time.Minute)
		_, _ = w.Once(ctx)
		rows, _ := outbox.List(ctx, store, f.team, outbox.Failed, 10)
		if len(rows) != 1 || rows[0].Channel != outbox.Webhook || rows[0].Attempts != 3 || !strings.Contains(rows[0].LastError, "500") {
			t.Fatalf("failed rows: %+v", rows)
		}
		attempts, _ := outbox.Attempts(ctx, store, rows[0].ID)
		if len(attempts) != 3 || attempts[0].Outcome != "retry" || attempts[2].Outcome != outbox.Failed {
			t.Fatalf("attempts: %+v", attempts)
		}
		f.hook.FailNext(0)
		err := store.Write(ctx, db.Author{Who: "admin"}, func(tx *db.Tx) error { return outbox.Retry(ctx, tx, f.team, rows[0].ID) })
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := w.Once(ctx); n != 1 || len(f.hook.Deliveries()) != 1 {
			t.Fatalf("the retried row: %d delivered", n)
		}
		err = store.Write(ctx, db.Author{Who: "admin"}, func(tx *db.Tx) error { return outbox.Retry(ctx, tx, "team-other", rows[0].ID) })
		if !errors.Is(err, db.ErrNotFound) {
			t.Errorf("another team retried a row: %v", err)
		}
	})
}

// TestKilledMidDelivery kills the worker while the SMTP server is in the
// middle of a message and while a webhook receiver holds the request:
// nothing was accepted, the rows stay claimed until their lease ends, and
// the next worker delivers each exactly once.
func TestKilledMidDelivery(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		ctx := context.Background()
		f := setup(t, store)
		// A long message, so the client is still writing when it is killed.
		// The email is written first, so the worker takes it first.
		m := outbox.Message{Event: "case.message", Subject: "A new message on case case--1",
			Body: strings.Repeat("x", 70) + strings.Repeat("\nline of the message", 400_000)}
		f.noHook = true
		f.enqueue(t, m, f.yes, f.no)
		f.noHook = false
		time.Sleep(2 * time.Millisecond)
		f.enqueue(t, m)
		f.smtp.StallNext()
		killed, kill := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { _, err := f.worker().Once(killed); done <- err }()
		<-f.smtp.Stalled
		kill()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("the killed worker: %v", err)
		}
		f.smtp.Release()
		time.Sleep(100 * time.Millisecond)
		if len(f.smtp.Mails()) != 0 {
			t.Fatal("a message cut off mid-delivery was accepted")
		}
		if rows, _ := outbox.List(ctx, store, f.team, outbox.Sending, 10); len(rows) != 2 {
			t.Fatalf("%d rows left claimed, want 2 (the email and the webhook)", len(rows))
		}
		// The webhook: the receiver holds the request; kill again.
		time.Sleep(350 * time.Millisecond) // the lease ends
		f.hook.HangNext()
		f.smtp.RejectNext(1) // the email waits its turn
		killed, kill = context.WithCancel(ctx)
		go func() { _, err := f.worker().Once(killed); done <- err }()
		<-f.hook.Hung
		kill()
		<-done
		if len(f.hook.Deliveries()) != 0 {
			t.Fatal("a webhook request whose sender died was counted")
		}
		// A new worker, once the lease ends, delivers each row once; more
		// passes send nothing again.
		time.Sleep(350 * time.Millisecond)
		w := f.worker()
		total := 0
		for range 4 {
			n, err := w.Once(ctx)
			if err != nil {
				t.Fatal(err)
			}
			total += n
		}
		mails, hooks := f.smtp.Mails(), f.hook.Deliveries()
		if total != 2 || len(mails) != 1 || len(hooks) != 1 {
			t.Fatalf("after the kills: %d delivered, %d mails, %d webhook deliveries", total, len(mails), len(hooks))
		}
		counts, _ := outbox.Counts(ctx, store, f.team)
		if counts[outbox.Delivered] != 2 || counts[outbox.Sending] != 0 || counts[outbox.Pending] != 0 {
			t.Fatalf("counts: %v", counts)
		}
		t.Logf("killed twice mid-delivery: %d rows delivered once each (%d mail, %d webhook)", total, len(mails), len(hooks))
	})
}

func TestParseSMTP(t *testing.T) {
	s, err := outbox.ParseSMTP("smtp://alerts:s3cret@mail.example.org?from=alerts@example.org")
	if err != nil || s.Port != "587" || s.Password != "s3cret" || s.From != "alerts@example.org" || strings.Contains(s.String(), "s3cret") {
		t.Fatalf("%+v %v", s, err)
	}
	for _, bad := range []string{"mail.example.org", "smtps://x?from=a@b.c", "smtp://x", "smtp://x?from=nobody"} {
		if _, err := outbox.ParseSMTP(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
