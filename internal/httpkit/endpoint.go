package httpkit

// Endpoint is one route of the JSON API with what documents it: the API's
// route table (internal/api) registers it behind its role and generates
// the API page and /api/v1/openapi.json from it, so the routes and their
// documents cannot diverge. A surface that registers an endpoint itself
// lists it without a Handler, for the documents only.
type Endpoint struct {
	Method, Path, Summary string
	// Role is the least role that may call it; "" for anyone.
	Role     string
	Query    []string
	Request  any // a value of the request body's type, or nil
	Response any // a value of the response body's type
	Status   int // the success status; 0 for 200
	Handler  HandlerFunc
}
