package kev

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// legalWords are dropped from vendor names: "Microsoft Corporation" and
// "Microsoft" are one vendor.
var legalWords = map[string]bool{
	"inc": true, "incorporated": true, "corp": true, "corporation": true, "co": true, "company": true,
	"ltd": true, "limited": true, "llc": true, "gmbh": true, "ag": true, "sa": true, "plc": true,
	"bv": true, "srl": true, "the": true,
}

// vendorAliases maps the key of another name of a vendor to the key of
// the name the catalog uses.
var vendorAliases = map[string]string{
	"ms": "microsoft", "msft": "microsoft",
	"apachesoftwarefoundation": "apache", "asf": "apache",
	"googlellc": "google", "alphabet": "google",
	"ciscosystems":                  "cisco",
	"adobesystems":                  "adobe",
	"internationalbusinessmachines": "ibm",
	"vmwarebybroadcom":              "vmware", "broadcomvmware": "vmware",
	"paloalto": "paloaltonetworks", "pan": "paloaltonetworks",
	"mozillafoundation": "mozilla",
	"hp":                "hewlettpackard", "hpe": "hewlettpackard", "hewlettpackardenterprise": "hewlettpackard",
	"dnn":                    "dotnetnuke",
	"qnap":                   "qnapsystems",
	"oraclecorporation":      "oracle",
	"applecomputer":          "apple",
	"linuxkernel":            "linux",
	"gitscm":                 "git",
	"fortinetinc":            "fortinet",
	"progresssoftware":       "progress",
	"citrixsystems":          "citrix",
	"trendmicroincorporated": "trendmicro",
	"sonicwalls":             "sonicwall",
	"zohocorp":               "zoho", "manageengine": "zoho",
}

// productAliases maps, per vendor key, the key of another name of a
// product to the key the catalog uses.
var productAliases = map[string]map[string]string{
	"microsoft": {
		"exchange": "exchangeserver", "msexchange": "exchangeserver",
		"sharepointserver": "sharepoint",
		"ie":               "internetexplorer",
		"outlook":          "office outlook",
	},
	"apache":           {"httpd": "httpserver", "apachehttpserver": "httpserver"},
	"paloaltonetworks": {"globalprotect": "panos"},
	"fortinet":         {"fortigate": "fortios"},
}

// words returns the lower-case words of s: accents and punctuation
// removed, "&" read as "and", a part in parentheses left out.
func words(s string) []string {
	if open := strings.IndexByte(s, '('); open > 0 {
		if end := strings.IndexByte(s[open:], ')'); end > 0 {
			s = s[:open] + " " + s[open+end+1:]
		}
	}
	var b strings.Builder
	for _, r := range norm.NFKD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r == '&':
			b.WriteString(" and ")
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(unicode.ToLower(r))
		default:
			b.WriteByte(' ')
		}
	}
	return strings.Fields(b.String())
}

// VendorKey is a vendor's name as matching compares it: case, accents,
// spaces and punctuation folded ("D-Link" and "dlink" are one), legal
// forms dropped, and known other names replaced ("MS", "Microsoft
// Corporation" → "microsoft").
func VendorKey(vendor string) string {
	w := words(vendor)
	kept := w[:0:0]
	for _, x := range w {
		if !legalWords[x] {
			kept = append(kept, x)
		}
	}
	if len(kept) == 0 {
		kept = w
	}
	key := strings.Join(kept, "")
	if alias, ok := vendorAliases[key]; ok {
		return alias
	}
	return key
}

// ProductKey is a product's name as matching compares it, for the vendor
// of key vendorKey: folded as VendorKey folds, the vendor's name left off
// its start ("Microsoft Exchange Server" is "Exchange Server"), a year at
// its end dropped ("Exchange Server 2019"), and the vendor's known other
// names of the product replaced.
func ProductKey(vendorKey, product string) string {
	w := words(product)
	if n := len(w); n > 1 && len(w[n-1]) == 4 && (strings.HasPrefix(w[n-1], "19") || strings.HasPrefix(w[n-1], "20")) && isDigits(w[n-1]) {
		w = w[:n-1]
	}
	key := strings.Join(w, "")
	for _, prefix := range []string{vendorKey, reverseAlias(vendorKey)} {
		if prefix != "" && len(key) > len(prefix) && strings.HasPrefix(key, prefix) {
			key = key[len(prefix):]
			break
		}
	}
	if alias, ok := productAliases[vendorKey][key]; ok {
		return strings.ReplaceAll(alias, " ", "")
	}
	return key
}

// reverseAlias returns a short other name of the vendor ("ms" for
// microsoft), for products written with it ("MS Exchange").
func reverseAlias(vendorKey string) string {
	if vendorKey == "microsoft" {
		return "ms"
	}
	return ""
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// CPE is the vendor and product parts of a CPE name, 2.3 formatted string
// ("cpe:2.3:a:microsoft:exchange_server:2019:…") or 2.2 URI
// ("cpe:/a:microsoft:exchange_server:2019").
type CPE struct {
	Part, Vendor, Product, Version string
}

// ParseCPE reads a CPE name; ok is false when s is none.
func ParseCPE(s string) (CPE, bool) {
	s = strings.TrimSpace(s)
	var fields []string
	switch {
	case strings.HasPrefix(strings.ToLower(s), "cpe:2.3:"):
		fields = splitCPE(s[len("cpe:2.3:"):])
	case strings.HasPrefix(strings.ToLower(s), "cpe:/"):
		fields = strings.Split(s[len("cpe:/"):], ":")
	default:
		return CPE{}, false
	}
	if len(fields) < 3 || fields[1] == "" || fields[2] == "" || fields[1] == "*" || fields[2] == "*" {
		return CPE{}, false
	}
	c := CPE{Part: fields[0], Vendor: unescapeCPE(fields[1]), Product: unescapeCPE(fields[2])}
	if len(fields) > 3 && fields[3] != "*" && fields[3] != "-" {
		c.Version = unescapeCPE(fields[3])
	}
	return c, c.Part == "a" || c.Part == "o" || c.Part == "h"
}

// splitCPE splits a 2.3 formatted string at the colons that are not
// escaped.
func splitCPE(s string) []string {
	var out []string
	var cur strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s):
			cur.WriteByte(s[i])
			cur.WriteByte(s[i+1])
			i++
		case s[i] == ':':
			out = append(out, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(s[i])
		}
	}
	return append(out, cur.String())
}

func unescapeCPE(s string) string {
	s = strings.ReplaceAll(s, "\\", "")
	return strings.ReplaceAll(s, "_", " ")
}
