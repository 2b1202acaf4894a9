package reliability

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/harmtrace/harmtrace/internal/account"
	"github.com/harmtrace/harmtrace/internal/cli"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/db/dbtest"
	"github.com/harmtrace/harmtrace/internal/interchange"
	"github.com/harmtrace/harmtrace/internal/trace"
)

// program is the harmtrace the tests start: built from cmd/harmtrace
// without the race detector (an import under it is twenty times slower),
// else this test binary playing harmtrace.
var program string

func TestMain(m *testing.M) {
	if os.Getenv("HARMTRACE_CHILD") == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := cli.Run(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	dir, err := os.MkdirTemp("", "harmtrace-reliability")
	if err != nil {
		panic(err)
	}
	program = os.Args[0]
	built := filepath.Join(dir, "harmtrace")
	build := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", built, "github.com/harmtrace/harmtrace/cmd/harmtrace")
	if out, err := build.CombinedOutput(); err == nil {
		program = built
	} else {
		fmt.Fprintf(os.Stderr, "reliability: go build failed, the test binary plays harmtrace: %v\n%s", err, out)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// target is a store the children share: a data directory, and a
// PostgreSQL database or none (SQLite in the directory).
type target struct {
	name, data, database string
}

func (g target) dsn() string {
	if g.database != "" {
		return g.database
	}
	return filepath.Join(g.data, "harmtrace.db")
}

func targets(t *testing.T) []target {
	return []target{{"sqlite", t.TempDir(), ""}, {"postgres", t.TempDir(), dbtest.PostgresDSN(t)}}
}

// harmtrace starts the test binary as harmtrace on the target's store.
func harmtrace(t testing.TB, g target, out *bytes.Buffer, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(program, append([]string{"--data", g.data}, args...)...)
	cmd.Args[0] = "harmtrace"
	cmd.Env = append(os.Environ(), "HARMTRACE_CHILD=1", "HARMTRACE_DATABASE="+g.database, "HARMTRACE_KEY_FILE=")
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// rounds is how many times each crash test kills harmtrace.
const rounds = 10

// counts are what must agree in a store whatever the moment of a crash.
type counts struct{ incidents, search, contributions, created int }

// check opens the store after a crash, checks its integrity and returns
// its counts: every incident with its search row, its aggregate
// contribution and its creation revision, or none of them.
func check(t *testing.T, g target) counts {
	t.Helper()
	ctx := context.Background()
	store, err := db.Open(ctx, g.dsn())
	if err != nil {
		t.Fatalf("%s: open after the crash: %v", g.name, err)
	}
	defer store.Close()
	if store.Dialect() == db.SQLite {
		var result string
		if err := store.QueryRow(ctx, `PRAGMA integrity_check`).Scan(&result); err != nil || result != "ok" {
			t.Fatalf("integrity_check: %q %v", result, err)
		}
		var fk int
		if err := store.QueryRow(ctx, `SELECT COUNT(*) FROM pragma_foreign_key_check`).Scan(&fk); err != nil || fk != 0 {
			t.Fatalf("foreign_key_check: %d rows, %v", fk, err)
		}
	}
	var c counts
	err = store.QueryRow(ctx, `SELECT (SELECT COUNT(*) FROM incidents), (SELECT COUNT(*) FROM incident_search),
		(SELECT COUNT(*) FROM incident_contributions),
		(SELECT COUNT(DISTINCT record_id) FROM revisions WHERE record_kind = 'incident' AND action = 'create')`).
		Scan(&c.incidents, &c.search, &c.contributions, &c.created)
	if err != nil {
		t.Fatal(err)
	}
	if c.search != c.incidents || c.contributions != c.incidents || c.created != c.incidents {
		t.Fatalf("%s: counts disagree after a crash: %+v", g.name, c)
	}
	return c
}

// bigFile writes a harmtrace JSON file of n incidents with their sources,
// their ids unique to the round.
func bigFile(t *testing.T, round, n int) string {
	t.Helper()
	doc := &interchange.Document{}
	for i := range n {
		key := fmt.Sprintf("%d-%d", round, i)
		src := trace.Source{ID: trace.DerivedID("source", key), URL: "https://example.org/crash/" + key, Kind: "news"}
		src.TLP = "clear"
		in := trace.Incident{ID: trace.DerivedID("incident", key), Title: "Crash test incident " + key,
			AttackTypes: []string{"ransomware"}, Determination: "confirmed", Start: "2024-05", Countries: []string{"FR"},
			SourceIDs: []string{src.ID}}
		in.TLP = "clear"
		doc.Sources = append(doc.Sources, src)
		doc.Incidents = append(doc.Incidents, in)
	}
	path := filepath.Join(t.TempDir(), fmt.Sprintf("round-%d.json", round))
	var buf bytes.Buffer
	if err := interchange.EncodeNative(&buf, doc); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestCrashDuringImport kills `harmtrace import` of a large file at a
// random moment, ten times on each engine: each time the store is whole
// and holds all of the file or nothing of it.
func TestCrashDuringImport(t *testing.T) {
	const perFile = 2000
	for _, g := range targets(t) {
		t.Run(g.name, func(t *testing.T) {
			// A first import, not killed, creates the store and tells how
			// long an import takes.
			var out bytes.Buffer
			start := time.Now()
			if err := harmtrace(t, g, &out, "import", bigFile(t, 0, perFile)).Wait(); err != nil {
				t.Fatalf("import: %v\n%s", err, out.String())
			}
			took := time.Since(start)
			before := check(t, g).incidents
			killed := 0
			rng := rand.New(rand.NewPCG(uint64(len(g.name)), 17))
			for round := 1; round <= rounds; round++ {
				file := bigFile(t, round, perFile)
				out.Reset()
				cmd := harmtrace(t, g, &out, "import", file)
				time.Sleep(time.Duration(float64(took) * (0.1 + 0.8*rng.Float64())))
				_ = cmd.Process.Signal(syscall.SIGKILL)
				err := cmd.Wait()
				if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
					killed++
				} else if err != nil {
					t.Fatalf("round %d: import failed before the kill: %v\n%s", round, err, out.String())
				}
				after := check(t, g).incidents
				if after != before && after != before+perFile {
					t.Fatalf("round %d: %d incidents before, %d after: not all or nothing", round, before, after)
				}
				before = after
			}
			t.Logf("%s: %d of %d imports killed midway, all or nothing each time", g.name, killed, rounds)
			if killed < rounds/2 {
				t.Errorf("only %d of %d rounds killed an import still running", killed, rounds)
			}
		})
	}
}

// TestCrashDuringAPIWrites kills `harmtrace serve` while clients create
// incidents through the API, ten times on each engine, restarting it on
// the same store: every creation the server acknowledged is there, whole,
// and the store is consistent.
func TestCrashDuringAPIWrites(t *testing.T) {
	for _, g := range targets(t) {
		t.Run(g.name, func(t *testing.T) {
			token, source := prepare(t, g)
			var acknowledged []string
			rng := rand.New(rand.NewPCG(uint64(len(g.name)), 29))
			for round := 1; round <= rounds; round++ {
				var out bytes.Buffer
				addr := freeAddr(t)
				cmd := harmtrace(t, g, &out, "serve", "--no-seed", "--addr", addr)
				if err := waitReady(addr); err != nil {
					_ = cmd.Process.Kill()
					_ = cmd.Wait()
					t.Fatalf("round %d: serve: %v\n%s", round, err, out.String())
				}
				ids := writeUntilKilled(t, cmd, addr, token, source, round, time.Duration(100+rng.IntN(400))*time.Millisecond)
				acknowledged = append(acknowledged, ids...)
				c := check(t, g)
				if c.incidents < len(acknowledged) {
					t.Fatalf("round %d: %d incidents acknowledged, %d stored", round, len(acknowledged), c.incidents)
				}
				missing := missingIncidents(t, g, acknowledged)
				if len(missing) > 0 {
					t.Fatalf("round %d: acknowledged incidents lost: %v", round, missing)
				}
			}
			t.Logf("%s: %d rounds, %d acknowledged incidents all kept", g.name, rounds, len(acknowledged))
		})
	}
}

// prepare migrates the store and gives it an analyst's API token and a
// source for the incidents to cite.
func prepare(t testing.TB, g target) (token, source string) {
	ctx := context.Background()
	store := dbtest.Open(t, g.dsn())
	defer store.Close()
	err := store.Write(ctx, db.Author{Who: "test"}, func(tx *db.Tx) error {
		if _, _, err := account.AddUser(ctx, tx, "analyst@cert.example", "analyst", "CERT", "a long enough password 1"); err != nil {
			return err
		}
		var err error
		if token, err = account.NewToken(ctx, tx, "analyst@cert.example", "analyst", "crash test"); err != nil {
			return err
		}
		s := &trace.Source{URL: "https://example.org/crash", Kind: "news"}
		s.TLP = "clear"
		_, err = trace.SaveSource(ctx, tx, s)
		source = s.ID
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return token, source
}

// writeUntilKilled has four clients create incidents until harmtrace is
// killed after wait; it returns the ids of the acknowledged creations.
func writeUntilKilled(t *testing.T, cmd *exec.Cmd, addr, token, source string, round int, wait time.Duration) []string {
	var mu sync.Mutex
	var ids []string
	var n atomic.Int64
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 5 * time.Second}
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				body := fmt.Sprintf(`{"title": "API incident %d-%d-%d", "attack_types": ["ddos"], "determination": "confirmed",
					"tlp": "clear", "start": "2024-06", "source_ids": [%q]}`, round, w, n.Add(1), source)
				req, _ := http.NewRequest("POST", "http://"+addr+"/api/v1/incidents", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					return // killed
				}
				var rec struct{ ID string }
				_ = json.NewDecoder(resp.Body).Decode(&rec)
				resp.Body.Close()
				if resp.StatusCode != http.StatusCreated {
					t.Errorf("create: %d", resp.StatusCode)
					return
				}
				mu.Lock()
				ids = append(ids, rec.ID)
				mu.Unlock()
			}
		}()
	}
	time.Sleep(wait)
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	wg.Wait()
	return ids
}

func missingIncidents(t *testing.T, g target, ids []string) []string {
	ctx := context.Background()
	store, err := db.Open(ctx, g.dsn())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	have, err := db.Column[string](ctx, store, `SELECT id FROM incidents`)
	if err != nil {
		t.Fatal(err)
	}
	set := map[string]bool{}
	for _, id := range have {
		set[id] = true
	}
	var missing []string
	for _, id := range ids {
		if !set[id] {
			missing = append(missing, id)
		}
	}
	return missing
}

func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// waitReady waits for /healthz to answer 200.
func waitReady(addr string) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s not ready within a minute", addr)
}
