package evidence_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/harmtrace/harmtrace/internal/db/dbtest"
	"github.com/harmtrace/harmtrace/internal/evidence"
	"github.com/harmtrace/harmtrace/internal/keys"
)

// BenchmarkAddEvidence adds a large file to the locker (hashing,
// encrypting and writing it) and compares it with `sha256sum` of the same
// file in the same run: the throughput ratio, and the peak memory of each.
// The size is HARMTRACE_BENCH_EVIDENCE_MB (default 256; the README's
// figure is for 1024).
//
//	go test -run '^$' -bench AddEvidence -benchtime 1x ./internal/evidence
func BenchmarkAddEvidence(b *testing.B) {
	mb := 256
	if v, err := strconv.Atoi(os.Getenv("HARMTRACE_BENCH_EVIDENCE_MB")); err == nil && v > 0 {
		mb = v
	}
	if _, err := exec.LookPath("sha256sum"); err != nil {
		b.Skip("no sha256sum for the baseline")
	}
	dir := b.TempDir()
	path := filepath.Join(dir, "evidence.bin")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.CopyN(f, rand.Reader, int64(mb)<<20); err != nil {
		b.Fatal(err)
	}
	f.Close()
	store := dbtest.SQLite(b)
	b.Setenv(keys.EnvKeyFile, "")
	ring, _ := keys.Open(dir)
	locker, err := evidence.Open(store, ring, dir, 4<<30)
	if err != nil {
		b.Fatal(err)
	}
	var baseline, added time.Duration
	var baseRSS, addRSS int64
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		cmd := exec.Command("sha256sum", path)
		if out, err := cmd.Output(); err != nil || len(out) < 64 {
			b.Fatal(err)
		}
		baseline += time.Since(start)
		baseRSS = max(baseRSS, cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss<<10)

		resetPeak()
		in, _ := os.Open(path)
		start = time.Now()
		if _, err := locker.Add(context.Background(), "bench", "incident--00000000-0000-4000-8000-00000000000"+strconv.Itoa(i%10), evidence.Metadata{OriginalName: "evidence.bin"}, in); err != nil {
			b.Fatal(err)
		}
		added += time.Since(start)
		in.Close()
		addRSS = max(addRSS, peakRSS())
	}
	n := float64(b.N)
	size := float64(mb)
	b.ReportMetric(size/(added.Seconds()/n), "add-MB/s")
	b.ReportMetric(size/(baseline.Seconds()/n), "sha256sum-MB/s")
	b.ReportMetric(baseline.Seconds()/added.Seconds(), "throughput-vs-sha256sum")
	if addRSS > 0 {
		b.ReportMetric(float64(addRSS)/(1<<20), "peak-RSS-MB")
	}
	b.ReportMetric(float64(baseRSS)/(1<<20), "sha256sum-peak-RSS-MB")
}

// resetPeak resets the process's peak resident size (Linux: clear_refs 5).
func resetPeak() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS reads the process's peak resident size since the last reset.
func peakRSS() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
