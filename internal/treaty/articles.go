// Package treaty encodes the UN Convention against Cybercrime, the Budapest
// Convention and the data-protection article of its Second Additional
// Protocol as data, keeps a jurisdiction profile per country, and checks a
// proposed cross-border cooperation request: first which instrument binds
// both states, then the Conventions' scope and human-rights safeguards.
// Every finding cites the paragraph it rests on, paraphrased, with how far
// the paraphrase was checked; a citation that is not in the data is never
// made, and the project's own safeguards are labelled apart from treaty rules.
package treaty

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
)

//go:embed data/articles.json
var articlesJSON []byte

// Verification states of an article's or a paragraph's paraphrase.
const (
	Verified   = "verified-text"
	Secondary  = "secondary-source"
	Unverified = "unverified"
)

// Instruments, as they prefix a citation.
const (
	Budapest = "Budapest" // Convention on Cybercrime, ETS No. 185
	UNCC     = "UNCC"     // UN Convention against Cybercrime, A/RES/79/243
	CETS224  = "CETS224"  // Second Additional Protocol to the Budapest Convention
)

// Verification says how far a paraphrase was checked: against which text
// (document symbol or ETS/CETS number) and when, or why it was not.
type Verification struct {
	State   string `json:"state"`
	Against string `json:"against,omitempty"`
	Checked string `json:"checked,omitempty"` // YYYY-MM-DD
	Note    string `json:"note,omitempty"`
}

// Article is one article of one instrument.
type Article struct {
	Convention   string       `json:"convention"` // "UNCC", "Budapest" or "CETS224"
	Number       string       `json:"number"`
	Title        string       `json:"title"`
	Chapter      string       `json:"chapter"`
	Gist         string       `json:"gist"` // the whole article, in our words
	Status       string       `json:"status"`
	Source       string       `json:"source"`
	Verification Verification `json:"verification"`
	Paragraphs   []Paragraph  `json:"paragraphs,omitempty"`
	Offence      *Offence     `json:"offence,omitempty"`
}

// Paragraph is one paragraph or sub-paragraph a finding can rest on, such as
// "(1)(a)" or "(h)", paraphrased. Without its own verification it shares
// the article's.
type Paragraph struct {
	Ref          string        `json:"ref"`
	Paraphrase   string        `json:"paraphrase"`
	Status       string        `json:"status,omitempty"`
	Verification *Verification `json:"verification,omitempty"`
}

// Offence says which conduct an offence article covers.
type Offence struct {
	Conduct        []string `json:"conduct"`
	CyberDependent bool     `json:"cyber_dependent"`
}

// Data is the shipped treaty data.
type Data struct {
	Sources  map[string]Source `json:"sources"`
	Statuses map[string]string `json:"statuses"`
	Articles []Article         `json:"articles"`
}

// Source is one instrument's text.
type Source struct {
	Title          string `json:"title"`
	URL            string `json:"url"`
	CheckedAgainst string `json:"checked_against,omitempty"`
}

var loadArticles = sync.OnceValues(func() (*Data, error) {
	var d Data
	if err := json.Unmarshal(articlesJSON, &d); err != nil {
		return nil, fmt.Errorf("treaty data: %w", err)
	}
	return &d, nil
})

// Articles returns the shipped treaty data.
func Articles() *Data {
	d, err := loadArticles()
	if err != nil {
		panic(err) // the embedded file is checked by the tests
	}
	return d
}

// Cited is what a citation rests on: the article, and the paragraph's
// paraphrase and verification when the citation names a paragraph.
type Cited struct {
	Article      Article
	Paraphrase   string
	Verification Verification
}

// Lookup finds what a citation such as "UNCC 6(2)" or "Budapest 24(1)(a)"
// rests on. A citation that names a paragraph is found only if that
// paragraph is in the data, so a rule cannot cite a paragraph nobody
// paraphrased.
func Lookup(citation string) (Cited, bool) {
	convention, rest, ok := strings.Cut(citation, " ")
	if !ok {
		return Cited{}, false
	}
	number, ref := rest, ""
	if i := strings.Index(rest, "("); i >= 0 {
		number, ref = rest[:i], rest[i:]
	}
	for _, a := range Articles().Articles {
		if a.Convention != convention || a.Number != number {
			continue
		}
		for _, p := range a.Paragraphs {
			if p.Ref == ref {
				v := a.Verification
				if p.Verification != nil {
					v = *p.Verification
				}
				return Cited{Article: a, Paraphrase: p.Paraphrase, Verification: v}, true
			}
		}
		if ref == "" {
			return Cited{Article: a, Paraphrase: a.Gist, Verification: a.Verification}, true
		}
		return Cited{}, false
	}
	return Cited{}, false
}

// instrumentOf returns the instrument a citation belongs to.
func instrumentOf(citation string) string {
	c, _, _ := strings.Cut(citation, " ")
	return c
}

// citationLess orders citations by instrument, then article and paragraph
// numerically, so that UNCC 7 comes before UNCC 10.
func citationLess(a, b string) bool {
	ia, ib := instrumentOf(a), instrumentOf(b)
	if ia != ib {
		return ia < ib
	}
	ka, kb := citationKey(a), citationKey(b)
	for i := 0; i < len(ka) && i < len(kb); i++ {
		if ka[i] != kb[i] {
			return lessPart(ka[i], kb[i])
		}
	}
	return len(ka) < len(kb)
}

// citationKey splits "Budapest 24(1)(a)" into "24", "1", "a".
func citationKey(c string) []string {
	_, rest, _ := strings.Cut(c, " ")
	return strings.FieldsFunc(rest, func(r rune) bool { return r == '(' || r == ')' })
}

func lessPart(a, b string) bool {
	na, errA := strconv.Atoi(a)
	nb, errB := strconv.Atoi(b)
	switch {
	case errA == nil && errB == nil:
		return na < nb
	case errA == nil:
		return true // numbers before letters
	case errB == nil:
		return false
	}
	return a < b
}

func sortCitations(cs []string) {
	sort.SliceStable(cs, func(i, j int) bool { return citationLess(cs[i], cs[j]) })
}

// offenceArticles returns, for a conduct, the offence articles of each
// Convention that cover it ("UNCC 7", "Budapest 2"), in numeric order.
func offenceArticles(conduct string) []string {
	var out []string
	for _, a := range Articles().Articles {
		if a.Offence == nil {
			continue
		}
		for _, c := range a.Offence.Conduct {
			if c == conduct {
				out = append(out, a.Convention+" "+a.Number)
			}
		}
	}
	sortCitations(out)
	return out
}

// budapestOffence tells whether a conduct is an offence of Budapest
// articles 2 to 11, the only offences its extradition article covers.
func budapestOffence(conduct string) bool {
	for _, a := range offenceArticles(conduct) {
		if instrumentOf(a) == Budapest {
			return true
		}
	}
	return false
}
