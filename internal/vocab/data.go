package vocab

import (
	_ "embed"
	"encoding/json"
	"sort"
	"strings"
	"sync"
)

// The MISP galaxy files are CC0 or BSD-2-Clause; see NOTICE.md.
var (
	//go:embed data/sector.json
	sectorJSON []byte
	//go:embed data/country.json
	countryJSON []byte
)

// Country is one entry of the MISP country galaxy.
type Country struct {
	Code     string // ISO 3166-1 alpha-2
	Code3    string // ISO 3166-1 alpha-3
	Name     string
	Budapest string // "parties", "observers" or "" (neither)
}

type galaxy struct {
	Values []struct {
		Value       string `json:"value"`
		Description string `json:"description"`
		Meta        struct {
			ISO      string `json:"ISO"`
			ISO3     string `json:"ISO3"`
			Budapest string `json:"budapest-convention"`
		} `json:"meta"`
	} `json:"values"`
}

var loadData = sync.OnceValues(func() (sectors []string, countries map[string]Country) {
	var s, c galaxy
	if err := json.Unmarshal(sectorJSON, &s); err != nil {
		panic("vocab: embedded sector.json: " + err.Error())
	}
	if err := json.Unmarshal(countryJSON, &c); err != nil {
		panic("vocab: embedded country.json: " + err.Error())
	}
	for _, v := range s.Values {
		sectors = append(sectors, v.Value)
	}
	countries = map[string]Country{}
	for _, v := range c.Values {
		code := strings.ToUpper(v.Meta.ISO)
		countries[code] = Country{Code: code, Code3: v.Meta.ISO3, Name: v.Description, Budapest: v.Meta.Budapest}
	}
	return sectors, countries
})

// Sectors returns the sector names of the MISP sector galaxy.
func Sectors() []string {
	s, _ := loadData()
	return s
}

// CanonicalSector returns the sector as spelled in the galaxy, matching
// without regard to case, and false when it is not a known sector.
func CanonicalSector(s string) (string, bool) {
	for _, v := range Sectors() {
		if strings.EqualFold(v, strings.TrimSpace(s)) {
			return v, true
		}
	}
	return "", false
}

// LookupCountry returns the country with the ISO 3166-1 alpha-2 code.
func LookupCountry(code string) (Country, bool) {
	_, c := loadData()
	v, ok := c[strings.ToUpper(code)]
	return v, ok
}

// Countries returns every known country, sorted by code.
func Countries() []Country {
	_, c := loadData()
	out := make([]Country, 0, len(c))
	for _, v := range c {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

// CountryByName finds a country by its English name or its MISP galaxy
// value ("france", "United Kingdom"), without regard to case.
func CountryByName(name string) (Country, bool) {
	name = strings.TrimSpace(name)
	if c, ok := LookupCountry(name); ok && len(name) == 2 {
		return c, true
	}
	for _, c := range Countries() {
		if strings.EqualFold(c.Name, name) {
			return c, true
		}
	}
	return Country{}, false
}
