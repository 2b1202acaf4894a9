package trace

import "testing"

func TestURLKey(t *testing.T) {
	same := []string{
		"https://cert.example.org/advisories/2024-07",
		"http://www.cert.example.org/advisories/2024-07/",
		"HTTPS://Cert.Example.org:443/advisories/2024-07?utm_source=x&fbclid=y#top",
	}
	for _, u := range same {
		if got, want := URLKey(u), URLKey(same[0]); got != want {
			t.Errorf("URLKey(%q) = %q, want %q", u, got, want)
		}
	}
	differ := []string{"https://cert.example.org/advisories/2024-08", "https://cert.example.org/advisories/2024-07?page=2",
		"https://cert.example.org:8443/advisories/2024-07"}
	for _, u := range differ {
		if URLKey(u) == URLKey(same[0]) {
			t.Errorf("URLKey(%q) matches %q", u, same[0])
		}
	}
	if URLKey("https://x.example/a?b=2&a=1") != URLKey("https://x.example/a?a=1&b=2") {
		t.Error("query parameters in another order give another key")
	}
}
