package cli

import (
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"
)

// TestServerLimits: the server of `serve` bounds every phase of a
// connection and the size of the headers.
func TestServerLimits(t *testing.T) {
	srv := newHTTPServer(http.NotFoundHandler(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	tests := []struct {
		name     string
		got      time.Duration
		min, max time.Duration
	}{
		{"ReadHeaderTimeout", srv.ReadHeaderTimeout, time.Second, time.Minute},
		{"ReadTimeout", srv.ReadTimeout, time.Minute, 15 * time.Minute},
		{"WriteTimeout", srv.WriteTimeout, 5 * time.Minute, 30 * time.Minute},
		{"IdleTimeout", srv.IdleTimeout, 10 * time.Second, 10 * time.Minute},
	}
	for _, tt := range tests {
		if tt.got < tt.min || tt.got > tt.max {
			t.Errorf("%s = %v, want between %v and %v", tt.name, tt.got, tt.min, tt.max)
		}
	}
	if srv.MaxHeaderBytes <= 0 || srv.MaxHeaderBytes >= http.DefaultMaxHeaderBytes {
		t.Errorf("MaxHeaderBytes = %d, want a bound under http.DefaultMaxHeaderBytes", srv.MaxHeaderBytes)
	}
	if srv.ErrorLog == nil || srv.Handler == nil {
		t.Error("the server lacks its handler or its error log")
	}
}

// TestSecureCookiesFromEnv: HARMTRACE_SECURE_COOKIES sets the default of
// serve's --secure-cookies; a value that is no boolean is refused rather
// than read as false.
func TestSecureCookiesFromEnv(t *testing.T) {
	tests := []struct {
		value   string
		want    bool
		wantErr bool
	}{
		{"", false, false},
		{"true", true, false},
		{"1", true, false},
		{"false", false, false},
		{"yes", false, true},
	}
	for _, tt := range tests {
		t.Setenv(EnvSecureCookies, tt.value)
		got, err := envBool(EnvSecureCookies)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("%s=%q: %v, %v; want %v (error: %v)", EnvSecureCookies, tt.value, got, err, tt.want, tt.wantErr)
		}
	}
}
