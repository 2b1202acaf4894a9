package db

import "testing"

func TestRebind(t *testing.T) {
	tests := []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"a = ? AND b = ?", "a = $1 AND b = $2"},
		{"a = '?' AND b = ?", "a = '?' AND b = $1"},
		{"a = 'it''s?' AND b IN (?, ?)", "a = 'it''s?' AND b IN ($1, $2)"},
	}
	for _, tt := range tests {
		if got := rebind(Postgres, tt.in); got != tt.want {
			t.Errorf("rebind(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := rebind(SQLite, tt.in); got != tt.in {
			t.Errorf("sqlite rebind changed %q", tt.in)
		}
	}
}
