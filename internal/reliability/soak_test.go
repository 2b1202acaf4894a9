package reliability

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/harmtrace/harmtrace/internal/db/dbtest"
)

// BenchmarkSoak runs `harmtrace serve` on a seeded SQLite store (or the
// PostgreSQL server of HARMTRACE_TEST_POSTGRES with HARMTRACE_SOAK_ENGINE=
// postgres) and loads it on loopback for HARMTRACE_SOAK (default 60s)
// with a bounded load: HARMTRACE_SOAK_CLIENTS clients (default 8), each
// sending its next request when the last is answered, nine reads of
// public pages, API and TAXII for one API write. It reports the requests
// per second and the 99th percentile of the first and the last tenth of
// the run, and the server's resident memory after warming up and at the
// end, so a slowdown or a leak shows:
//
//	go test -run '^$' -bench Soak -benchtime 1x ./internal/reliability
func BenchmarkSoak(b *testing.B) {
	duration := time.Minute
	if v := os.Getenv("HARMTRACE_SOAK"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatalf("HARMTRACE_SOAK=%q: %v", v, err)
		}
		duration = d
	}
	clients := 8
	if v := os.Getenv("HARMTRACE_SOAK_CLIENTS"); v != "" {
		clients, _ = strconv.Atoi(v)
	}
	g := target{"sqlite", b.TempDir(), ""}
	if os.Getenv("HARMTRACE_SOAK_ENGINE") == "postgres" {
		g = target{"postgres", b.TempDir(), dbtest.PostgresDSN(b)}
	}
	for range b.N {
		soak(b, g, duration, clients)
	}
}

type sample struct {
	at      time.Duration
	latency time.Duration
	failed  bool
}

func soak(b *testing.B, g target, duration time.Duration, clients int) {
	token, source := prepare(b, g)
	var out bytes.Buffer
	addr := freeAddr(b)
	cmd := harmtrace(b, g, &out, "serve", "--addr", addr) // an empty store: serve seeds the bundled data
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	if err := waitReady(addr); err != nil {
		b.Fatalf("serve: %v\n%s", err, out.String())
	}
	col := "/taxii2/api/collections/4b1e2c0a-6d0f-5f7e-9a51-2f6c3e8d1a40/objects/?limit=50"
	reads := []string{"/", "/incidents", "/incidents?country=US", "/api/v1/incidents?limit=50", "/api/v1/report",
		"/api/v1/report?attack_type=ransomware", col, "/incidents?q=hospital", "/api/v1/incidents?since=2020"}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	send := func(i int) error {
		var req *http.Request
		if i%10 == 9 {
			body := fmt.Sprintf(`{"title": "Soak incident %d", "attack_types": ["ddos"], "determination": "claimed", "tlp": "clear",
				"start": "2024-06", "source_ids": [%q]}`, i, source)
			req, _ = http.NewRequest("POST", "http://"+addr+"/api/v1/incidents", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
		} else {
			req, _ = http.NewRequest("GET", "http://"+addr+reads[i%len(reads)], nil)
			if strings.HasPrefix(reads[i%len(reads)], "/taxii2") {
				req.Header.Set("Accept", "application/taxii+json;version=2.1")
			}
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 400 {
			return fmt.Errorf("%s %s: %d", req.Method, req.URL.Path, resp.StatusCode)
		}
		return nil
	}
	// Warm up: every page once, then the memory at the start.
	for i := range 20 {
		if err := send(i); err != nil {
			b.Fatal(err)
		}
	}
	rssStart := rss(b, cmd.Process.Pid)
	var mu sync.Mutex
	var samples []sample
	var wg sync.WaitGroup
	start := time.Now()
	b.ResetTimer()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := c; time.Since(start) < duration; i += clients {
				t0 := time.Now()
				err := send(i)
				s := sample{at: t0.Sub(start), latency: time.Since(t0), failed: err != nil}
				mu.Lock()
				samples = append(samples, s)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	rssEnd := rss(b, cmd.Process.Pid)
	failed := 0
	for _, s := range samples {
		if s.failed {
			failed++
		}
	}
	tenth := duration / 10
	first, firstRate := window(samples, 0, tenth)
	last, lastRate := window(samples, duration-tenth, duration)
	b.ReportMetric(float64(len(samples))/duration.Seconds(), "req/s")
	b.ReportMetric(firstRate, "req/s-first-tenth")
	b.ReportMetric(lastRate, "req/s-last-tenth")
	b.ReportMetric(first, "p99-ms-first-tenth")
	b.ReportMetric(last, "p99-ms-last-tenth")
	b.ReportMetric(rssStart, "rss-MB-start")
	b.ReportMetric(rssEnd, "rss-MB-end")
	b.ReportMetric(float64(failed), "failed")
	if failed > 0 {
		b.Errorf("%d of %d requests failed", failed, len(samples))
	}
}

// window returns the 99th percentile latency in milliseconds and the rate
// of the requests sent between from and to.
func window(samples []sample, from, to time.Duration) (p99ms, rate float64) {
	var l []time.Duration
	for _, s := range samples {
		if s.at >= from && s.at < to {
			l = append(l, s.latency)
		}
	}
	if len(l) == 0 {
		return 0, 0
	}
	slices.Sort(l)
	return float64(l[len(l)*99/100].Microseconds()) / 1000, float64(len(l)) / (to - from).Seconds()
}

// rss reads a process's resident memory in MB from /proc (Linux).
func rss(b *testing.B, pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Logf("no resident memory: %v", err)
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return float64(kb) / 1024
		}
	}
	return 0
}
