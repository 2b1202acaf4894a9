package stix_test
import ("os";"testing";"github.com/harmtrace/harmtrace/internal/interchange/stix")
func BenchmarkZZRead(b *testing.B) {
	data, _ := os.ReadFile(attackBundle)
	for i := 0; i < b.N; i++ { if _, err := stix.Read(data, "a", stix.Options{DefaultTLP: "clear"}); err != nil { b.Fatal(err) } }
}
