package trace

import (
	"fmt"
	"time"
)

// Date is a calendar date known to the day ("2021-03-02"), the month
// ("2021-03"), the year ("2021"), or not at all (""). Its text sorts in
// time order, so the store compares dates as text.
type Date string

// Precision is "day", "month", "year" or "unknown".
func (d Date) Precision() string {
	switch len(d) {
	case 10:
		return "day"
	case 7:
		return "month"
	case 4:
		return "year"
	}
	return "unknown"
}

// Check returns an error unless d is empty or a valid partial date.
func (d Date) Check() error {
	layouts := map[int]string{10: "2006-01-02", 7: "2006-01", 4: "2006"}
	if d == "" {
		return nil
	}
	layout, ok := layouts[len(d)]
	if ok {
		if _, err := time.Parse(layout, string(d)); err == nil {
			return nil
		}
	}
	return fmt.Errorf("%q is not a date (want YYYY-MM-DD, YYYY-MM or YYYY)", string(d))
}

// DateOf returns t as a Date to the day.
func DateOf(t time.Time) Date { return Date(t.UTC().Format("2006-01-02")) }

// ParseDate accepts a partial date or an RFC 3339 time (cut to the day).
func ParseDate(s string) (Date, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return DateOf(t), nil
	}
	d := Date(s)
	return d, d.Check()
}

// Overlaps reports whether the periods [aStart, aEnd] and [bStart, bEnd]
// can share a day, reading each date as the whole day, month or year it
// names. An unknown start or end leaves that side open.
func Overlaps(aStart, aEnd, bStart, bEnd Date) bool {
	if aEnd == "" {
		aEnd = aStart
	}
	if bEnd == "" {
		bEnd = bStart
	}
	if aStart == "" || bStart == "" {
		return true
	}
	return string(aStart) <= lastDay(bEnd) && string(bStart) <= lastDay(aEnd)
}

// lastDay is the latest day a date can name, as text that sorts after every
// day in it ("2021-03" → "2021-03-99").
func lastDay(d Date) string {
	switch d.Precision() {
	case "month":
		return string(d) + "-99"
	case "year":
		return string(d) + "-99-99"
	}
	return string(d)
}
