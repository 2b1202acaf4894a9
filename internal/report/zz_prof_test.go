package report_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"testing"
	"time"

	"github.com/harmtrace/harmtrace/internal/report"
)

func TestZZProf(t *testing.T) {
	if os.Getenv("ZZ") == "" {
		t.Skip()
	}
	ctx := context.Background()
	store := openStore(t, "/tmp/perf-1m/harmtrace.db")
	ix, err := report.BuildIndex(ctx, store, nil)
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	f, _ := os.Create("/tmp/perf-heap.prof")
	pprof.WriteHeapProfile(f)
	f.Close()
	filters := benchFilters(20)
	if os.Getenv("ZZ") == "energy" {
		var fs []report.Filter
		for _, f := range filters {
			if f.Sector == "Energy" {
				fs = append(fs, f, f, f, f, f)
			}
		}
		filters = fs
	}
	cpu, _ := os.Create("/tmp/perf-cpu.prof")
	pprof.StartCPUProfile(cpu)
	for round := 0; round < 2; round++ {
		for _, f := range filters {
			t0 := time.Now()
			r, err := ix.Report(ctx, store, f)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Println(round, time.Since(t0), r.Incidents, describe(f))
		}
	}
	pprof.StopCPUProfile()
	runtime.KeepAlive(ix)
}
