package server

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// The emulator runs code on the developer's machine (Lambda functions are
// programs it starts), so it must only ever be driven by local programs.
// Binding to 127.0.0.1 is not enough: a web page in the developer's browser
// can reach 127.0.0.1 too, either directly (cross-site requests a browser
// sends without asking: a GET from an <img>, a form POST, a text/plain
// fetch) or through DNS rebinding (a name of the attacker's that resolves to
// 127.0.0.1, so that the page's own origin is the emulator). The guard
// refuses both, before a request reaches any service:
//
//   - the Host must be a loopback name or address (DNS rebinding puts the
//     attacker's name there), or a name the user allowed (AllowHosts);
//   - an Origin or Referer header, which only browsers send, must be local
//     too; a Sec-Fetch-Site header (sent by every current browser, and not
//     settable by a page) must say the request is not cross-site;
//   - every AWS-service request must carry a well-formed SigV4 Authorization
//     header. A browser cannot send one cross-site without a CORS preflight,
//     which the emulator never grants. Query-string (presigned) signatures
//     are refused: no emulated API needs them, and a page can put them in a
//     link;
//   - the emulator's own endpoints that change something take only
//     application/json, which a browser also cannot send cross-site without
//     a preflight.
//
// Signatures are not verified: the emulator has no secret keys to verify
// them with, and checking the shape is what closes the browser paths.

// refusal is why the guard refused a request: an HTTP status, an error code
// and a message that names the rule and the way out.
type refusal struct {
	status        int
	code, message string
}

// AllowHosts adds names (or addresses) that the Host header may carry besides
// the loopback ones, for a client that reaches the emulator under another
// name, e.g. from a container ("host.docker.internal"). "*" allows any Host,
// which re-opens the DNS-rebinding path: only for a machine with no browser.
func (rt *Router) AllowHosts(names ...string) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	for _, n := range names {
		rt.allowedHosts = append(rt.allowedHosts, strings.ToLower(strings.TrimSpace(n)))
	}
}

func (rt *Router) hostAllowed(host string) bool {
	rt.mu.RLock()
	defer rt.mu.RUnlock()
	return localHost(host, rt.allowedHosts)
}

// localHost reports whether host (a Host header value or a URL's host, with
// or without a port) is a loopback name or address, or one of allowed.
func localHost(host string, allowed []string) bool {
	name := strings.ToLower(host)
	if h, _, err := net.SplitHostPort(name); err == nil {
		name = h
	}
	name = strings.TrimSuffix(strings.TrimPrefix(name, "["), "]")
	if name == "" {
		return false
	}
	if slices.Contains(allowed, "*") || slices.Contains(allowed, name) {
		return true
	}
	if name == "localhost" {
		return true
	}
	addr, err := netip.ParseAddr(name)
	return err == nil && addr.Unmap().IsLoopback()
}

// checkClient applies the rules every request is held to, admin ones too.
func (rt *Router) checkClient(r *http.Request) *refusal {
	if !rt.hostAllowed(r.Host) {
		return &refusal{http.StatusForbidden, "ForbiddenHost", fmt.Sprintf(
			"ecprov emulator: Host %q is not a loopback name or address; the emulator serves only local clients "+
				"(localhost, 127.0.0.0/8, [::1]), so that a web page cannot reach it through DNS rebinding. "+
				"A client that reaches it under another name (a container) needs `ecprov local up --allow-host NAME`", r.Host)}
	}
	for _, h := range []string{"Origin", "Referer"} {
		v := r.Header.Get(h)
		if v == "" {
			continue
		}
		u, err := url.Parse(v)
		if err != nil || !rt.hostAllowed(u.Host) {
			return &refusal{http.StatusForbidden, "ForbiddenOrigin", fmt.Sprintf(
				"ecprov emulator: %s %q is not local; the emulator refuses requests from web pages of other sites. "+
					"AWS SDKs and the AWS CLI send no %s header", h, v, h)}
		}
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site == "cross-site" {
		return &refusal{http.StatusForbidden, "ForbiddenOrigin",
			"ecprov emulator: Sec-Fetch-Site cross-site: the emulator refuses requests from web pages of other sites"}
	}
	return nil
}

// sigV4 is the shape of a SigV4 Authorization header:
// AWS4-HMAC-SHA256 Credential=AKID/YYYYMMDD/REGION/SERVICE/aws4_request,
// SignedHeaders=h1;h2, Signature=<64 hex>. The signing process is described
// in AWS's "Create a signed AWS API request" (IAM user guide, Signature
// Version 4).
var sigV4 = regexp.MustCompile(`^AWS4-HMAC-SHA256 +Credential=[^/\s,]+/\d{8}/[a-z0-9-]+/[a-z0-9-]+/aws4_request, *SignedHeaders=([a-z0-9;-]+), *Signature=[0-9a-f]{64}$`)

// checkSignature requires a well-formed SigV4 Authorization header on an
// AWS-service request. The codes are AWS's "Common Errors" (in every API
// reference): MissingAuthenticationToken (403) and IncompleteSignature (400).
func checkSignature(r *http.Request) *refusal {
	q := r.URL.Query()
	if q.Has("X-Amz-Signature") || q.Has("X-Amz-Credential") {
		return &refusal{http.StatusForbidden, "MissingAuthenticationToken",
			"ecprov emulator: query-string (presigned) signatures are refused: no emulated API needs them, and a web page " +
				"can put them in a link. Sign with the Authorization header, as the AWS SDKs and the AWS CLI do"}
	}
	auth := strings.TrimSpace(r.Header.Get("Authorization"))
	if auth == "" {
		return &refusal{http.StatusForbidden, "MissingAuthenticationToken",
			"Request is missing Authentication Token: the ecprov emulator needs a SigV4-signed request. " +
				"Use an AWS SDK or the AWS CLI with any credentials (e.g. AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test)"}
	}
	m := sigV4.FindStringSubmatch(auth)
	if m == nil || !slices.Contains(strings.Split(m[1], ";"), "host") {
		return &refusal{http.StatusBadRequest, "IncompleteSignature",
			"The request signature does not conform to AWS standards: the ecprov emulator needs an Authorization header " +
				"\"AWS4-HMAC-SHA256 Credential=AKID/YYYYMMDD/REGION/SERVICE/aws4_request, SignedHeaders=host;..., Signature=<64 hex>\"; " +
				"an AWS SDK or the AWS CLI writes it"}
	}
	return nil
}

// checkAdmin holds the emulator's own endpoints that change state to JSON
// bodies: a browser sends application/json cross-site only after a CORS
// preflight (Fetch standard, "CORS-safelisted request-header"), and the
// emulator answers no preflight. DELETE is not a CORS-safelisted method, so
// it needs a preflight whatever its body.
func checkAdmin(r *http.Request) *refusal {
	if r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == http.MethodDelete {
		return nil
	}
	ct := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Type")))
	if ct, _, _ = strings.Cut(ct, ";"); strings.TrimSpace(ct) != "application/json" {
		return &refusal{http.StatusUnsupportedMediaType, "UnsupportedMediaType", fmt.Sprintf(
			"ecprov emulator: %s %s takes only Content-Type application/json (got %q), so that a web page cannot send it",
			r.Method, r.URL.Path, r.Header.Get("Content-Type"))}
	}
	return nil
}

// DummyAuthorization is a well-formed SigV4 Authorization header for service
// in us-east-1, with credentials "test": for tests and scripts that send raw
// requests. The emulator checks the shape, not the signature.
func DummyAuthorization(service string) string {
	return "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/" + service + "/aws4_request, " +
		"SignedHeaders=host;x-amz-date, Signature=" + strings.Repeat("0", 64)
}
