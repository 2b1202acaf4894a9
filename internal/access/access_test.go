package access

import (
	"strings"
	"testing"
)

func TestConditionArguments(t *testing.T) {
	cond, args := User("user--1", "team--a", "analyst").Condition("inc")
	if strings.Count(cond, "?") != len(args) {
		t.Errorf("%d placeholders, %d arguments", strings.Count(cond, "?"), len(args))
	}
	if strings.Contains(cond, " i.") {
		t.Errorf("alias not applied: %s", cond)
	}
	// An alias that ends like another must come out whole (vi, not vvi).
	if cond, _ := User("u", "t", "analyst").Condition("vi"); strings.Contains(cond, "vvi.") || strings.Count(cond, "vi.") != 8 {
		t.Errorf("alias vi mangled: %s", cond)
	}
	if c, _ := Public.Condition("i"); c != "i.tlp = 'clear'" {
		t.Errorf("public condition = %s", c)
	}
}
