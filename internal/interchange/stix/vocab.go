// Package stix reads and writes STIX 2.1 bundles (and reads STIX 2.0). The
// mapping is documented in docs/formats.md.
package stix

// MediaType is the media type of a STIX 2.1 bundle or object, as a
// download and TAXII serve it.
const MediaType = "application/stix+json;version=2.1"

// Extension ids: the STIX Incident Core Extension (draft 2.0) and
// harmtrace's own property extension, which carries what neither STIX nor
// the Incident Core Extension can say (harm to people, partial dates,
// claimed vs confirmed, sources with their admiralty grading).
const (
	ExtIncidentCore = "extension-definition--ef765651-680c-498d-9894-99799f2fa126"
	ExtImpact       = "extension-definition--7cc33dd6-f6a1-489b-98ea-522d351d71b9"
	ExtTLP2         = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
	ExtHarmtrace    = "extension-definition--3f6b6f1c-9a51-4c1e-8f0e-6d1a8e2b7c40"
)

// tlpIDs maps the marking-definition ids of TLP 1.0 and 2.0 to TLP 2.0 names.
var tlpIDs = map[string]string{
	"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": "clear", // TLP 1.0 WHITE
	"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": "green",
	"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": "amber",
	"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": "red",
	"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487": "clear", // TLP 2.0
	"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb": "green",
	"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421": "amber",
	"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003": "amber+strict",
	"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1": "red",
}

// tlp2IDs maps TLP 2.0 names to their marking-definition ids.
var tlp2IDs = map[string]string{
	"clear":        "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
	"green":        "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
	"amber":        "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
	"amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
	"red":          "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}

// sectorMap maps STIX industry-sector-ov values to MISP sector names.
var sectorMap = map[string]string{
	"agriculture": "Agriculture", "aerospace": "Aerospace", "automotive": "Automotive", "chemical": "Chemical",
	"commercial": "Trade", "communications": "Telecoms", "construction": "Construction", "defense": "Defense",
	"education": "Education", "energy": "Energy", "entertainment": "Entertainment", "financial-services": "Finance",
	"government": "Government, Administration", "government-national": "Government, Administration",
	"government-regional": "Government, Administration", "government-local": "Government, Administration",
	"government-public-services": "Government, Administration", "emergency-services": "Government, Administration",
	"government-emergency-services": "Government, Administration",
	"healthcare":                    "Health", "hospitality-leisure": "Hospitality", "infrastructure": "Infrastructure",
	"dams": "Infrastructure", "nuclear": "Energy", "water": "Water", "insurance": "Insurance",
	"manufacturing": "Manufacturing", "mining": "Mining", "non-profit": "Non-profit organisation",
	"pharmaceuticals": "Pharmacy", "retail": "Retail", "technology": "Technology", "telecommunications": "Telecoms",
	"transportation": "Transport", "utilities": "Energy",
}

// preferredSectors are the STIX sectors written for a MISP sector that
// several STIX sectors map to: the most general one, never a narrower
// sector the record does not say (Government is government, not
// emergency-services).
var preferredSectors = map[string]string{
	"Government, Administration": "government", "Telecoms": "telecommunications", "Energy": "energy",
	"Infrastructure": "infrastructure",
}

// stixSector returns the STIX sector for a MISP sector, the reverse of sectorMap.
func stixSector(misp string) string {
	if s, ok := preferredSectors[misp]; ok {
		return s
	}
	best := ""
	for k, v := range sectorMap {
		if v == misp && (best == "" || k < best) {
			best = k
		}
	}
	return best
}

// actorTypes maps STIX threat-actor-type-ov values to harmtrace actor types.
var actorTypes = map[string]string{
	"nation-state": "state", "state-affiliated": "state-affiliated", "crime-syndicate": "criminal",
	"criminal": "criminal", "activist": "hacktivist", "hacker": "hacktivist",
}

// stixActorTypes is the STIX type written for a harmtrace actor type when
// the actor has no kept original (or its type was changed).
var stixActorTypes = map[string]string{
	"state": "nation-state", "state-affiliated": "state-affiliated", "criminal": "criminal", "hacktivist": "activist",
}

// confidenceWords maps STIX confidence 0–100 to estimative language, using
// the Admiralty/WEP scale of the STIX 2.1 specification's appendix.
func confidenceWords(c int) string {
	switch {
	case c >= 95:
		return "almost-certain"
	case c >= 80:
		return "very-likely"
	case c >= 55:
		return "likely"
	case c >= 45:
		return "roughly-even-chance"
	case c >= 20:
		return "unlikely"
	case c >= 5:
		return "very-unlikely"
	}
	return "almost-no-chance"
}

// confidenceNumber is the midpoint STIX confidence for estimative words.
var confidenceNumber = map[string]int{
	"almost-certain": 97, "very-likely": 87, "likely": 70, "roughly-even-chance": 50,
	"unlikely": 30, "very-unlikely": 12, "almost-no-chance": 2,
}

// iceDetermination maps harmtrace determinations to the Incident Core
// Extension's (which has no "claimed": a claim not yet checked is suspected).
var iceDetermination = map[string]string{
	"claimed": "suspected", "suspected": "suspected", "confirmed": "confirmed", "false-positive": "false-positive",
}

// fromICEDetermination maps back; a blocked or failed attempt is still a
// confirmed attack.
var fromICEDetermination = map[string]string{
	"suspected": "suspected", "confirmed": "confirmed", "false-positive": "false-positive",
	"blocked": "confirmed", "failed-attempt": "confirmed",
}
