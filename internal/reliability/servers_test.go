package reliability

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/harmtrace/harmtrace/internal/db/dbtest"
)

// TestTwoServersOnePostgres starts two `harmtrace serve` on one PostgreSQL
// database and one data directory (the keys shared), and finds that they
// behave as one: an incident written through one is at once in the other's
// report, dashboard, downloads and TAXII collection (each had computed and
// kept them before), and a sign-in throttled on one is throttled on the
// other.
func TestTwoServersOnePostgres(t *testing.T) {
	g := target{"postgres", t.TempDir(), dbtest.PostgresDSN(t)}
	token, source := prepare(t, g)
	var addrs []string
	for range 2 {
		var out bytes.Buffer
		addr := freeAddr(t)
		cmd := harmtrace(t, g, &out, "serve", "--no-seed", "--addr", addr)
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		if err := waitReady(addr); err != nil {
			t.Fatalf("serve: %v\n%s", err, out.String())
		}
		addrs = append(addrs, addr)
	}
	one, other := addrs[0], addrs[1]
	get := func(addr, path string, header ...string) string {
		t.Helper()
		req, _ := http.NewRequest("GET", "http://"+addr+path, nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %.200s", path, resp.StatusCode, body)
		}
		return string(body)
	}
	incidents := func(addr string) int {
		var r struct{ Incidents int }
		if err := json.Unmarshal([]byte(get(addr, "/api/v1/report")), &r); err != nil {
			t.Fatal(err)
		}
		return r.Incidents
	}
	taxii := "/taxii2/api/collections/4b1e2c0a-6d0f-5f7e-9a51-2f6c3e8d1a40/objects/"
	accept := []string{"Accept", "application/taxii+json;version=2.1"}
	// The other server computes and keeps its figures and collection.
	before := incidents(other)
	dashboard := get(other, "/")
	get(other, taxii, accept...)
	get(other, "/download/incidents.csv")

	body := fmt.Sprintf(`{"title": "Written through the first server", "attack_types": ["ddos"], "determination": "confirmed",
		"tlp": "clear", "start": "2025-02", "source_ids": [%q]}`, source)
	req, _ := http.NewRequest("POST", "http://"+one+"/api/v1/incidents", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var created struct{ ID string }
	_ = json.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create through the first server: %d", resp.StatusCode)
	}
	if n := incidents(other); n != before+1 {
		t.Errorf("the other server's report: %d incidents, want %d", n, before+1)
	}
	if get(other, "/") == dashboard {
		t.Errorf("the other server's dashboard did not change")
	}
	if !strings.Contains(get(other, taxii, accept...), created.ID) {
		t.Errorf("the other server's TAXII collection lacks %s", created.ID)
	}
	if !strings.Contains(get(other, "/download/incidents.csv"), "Written through the first server") {
		t.Errorf("the other server's download lacks the new incident")
	}

	signIn := func(addr, password string) int {
		form := url.Values{"email": {"analyst@cert.example"}, "password": {password}}
		resp, err := http.Post("http://"+addr+"/sign-in", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for i := range 5 {
		if code := signIn(one, "wrong password"); code != http.StatusUnauthorized {
			t.Fatalf("wrong sign-in %d on the first server: %d", i+1, code)
		}
	}
	if code := signIn(other, "a long enough password 1"); code != http.StatusTooManyRequests {
		t.Errorf("after five failures on the first server, the right password on the other: %d, want 429", code)
	}
}
