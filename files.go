// Package harmtrace holds the project's own documents that the binary
// serves as they are written, so that the site never drifts from them:
// the harm method (/method) and the data notice (/about).
package harmtrace

import _ "embed"

var (
	// HarmMethod is docs/harm-method.md.
	//go:embed docs/harm-method.md
	HarmMethod string
	// Notice is NOTICE.md: the data harmtrace ships, its sources and licences.
	//go:embed NOTICE.md
	Notice string
)
