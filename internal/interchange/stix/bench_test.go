package stix_test

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/db/dbtest"
	"github.com/harmtrace/harmtrace/internal/interchange"
	"github.com/harmtrace/harmtrace/internal/interchange/stix"
)

// attackBundle is MITRE ATT&CK Enterprise v18 (24,771 objects, 34 MB) from
// the shared data folder beside the checkout; the benchmark skips without it.
const attackBundle = "../../../../shared/data/attack/enterprise-attack-v18-from-mitre-cti.json"

// BenchmarkImportATTACK imports the ATT&CK bundle into a fresh SQLite store
// and, as the baseline in the same run, merely decodes it with
// encoding/json. Compare the two ns/op:
//
//	go test -run '^$' -bench ImportATTACK -benchtime 3x ./internal/interchange/stix
func BenchmarkImportATTACK(b *testing.B) {
	data, err := os.ReadFile(attackBundle)
	if err != nil {
		b.Skipf("ATT&CK bundle not found (%v): it lives in ../shared/data beside the checkout", err)
	}
	b.Run("decode-only", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for i := 0; i < b.N; i++ {
			var v map[string]any
			if err := json.Unmarshal(data, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("import-sqlite", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		objects := 0
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			store := dbtest.SQLite(b)
			b.StartTimer()
			doc, err := stix.Read(data, "attack.json", stix.Options{DefaultTLP: "clear"})
			if err != nil {
				b.Fatal(err)
			}
			objects = len(doc.Objects)
			err = store.Write(context.Background(), db.Author{Who: "bench"}, func(tx *db.Tx) error {
				return interchange.Write(context.Background(), tx, "attack.json", doc, interchange.NewSummary(), nil)
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(objects*b.N)/b.Elapsed().Seconds(), "objects/s")
	})
}
