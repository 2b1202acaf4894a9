// Package treaty encodes the UN Convention against Cybercrime and the
// Budapest Convention as data, keeps a jurisdiction profile per country,
// and checks a proposed cross-border cooperation request against the
// Conventions' scope and human-rights safeguards. Every finding cites the
// articles it rests on; an article that is not in the data is never cited.
package treaty

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
)

//go:embed data/articles.json
var articlesJSON []byte

// Statuses of an article's entry.
const (
	Verified   = "verified-text"
	Secondary  = "secondary-source"
	Unverified = "unverified"
)

// Article is one article of one Convention.
type Article struct {
	Convention string   `json:"convention"` // "UNCC" or "Budapest"
	Number     string   `json:"number"`
	Title      string   `json:"title"`
	Chapter    string   `json:"chapter"`
	Gist       string   `json:"gist"`
	Status     string   `json:"status"`
	Source     string   `json:"source"`
	Offence    *Offence `json:"offence,omitempty"`
}

// Offence says which conduct an offence article covers.
type Offence struct {
	Conduct        []string `json:"conduct"`
	CyberDependent bool     `json:"cyber_dependent"`
}

// Data is the shipped treaty data.
type Data struct {
	Sources  map[string]struct{ Title, URL string } `json:"sources"`
	Statuses map[string]string                      `json:"statuses"`
	Articles []Article                              `json:"articles"`
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

// Lookup finds the article a citation such as "UNCC 6(2)" or
// "Budapest 24(1)(a)" rests on.
func Lookup(citation string) (Article, bool) {
	convention, rest, ok := strings.Cut(citation, " ")
	if !ok {
		return Article{}, false
	}
	number, _, _ := strings.Cut(rest, "(")
	for _, a := range Articles().Articles {
		if a.Convention == convention && a.Number == number {
			return a, true
		}
	}
	return Article{}, false
}

// offenceArticles returns, for a conduct, the offence articles of each
// Convention that cover it ("UNCC 7", "Budapest 2").
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
	sort.Strings(out)
	return out
}
