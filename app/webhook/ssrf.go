package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Outgoing requests go only to public addresses (OWASP API7, server-side request forgery): a
// tenant must not be able to point the server at its own loopback, the private network it runs
// in, link-local and cloud metadata addresses (169.254.169.254, fd00:ec2::254), carrier-grade
// NAT or multicast. The URL is checked when an endpoint is registered or changed — its host
// resolved and every answer checked — and again at every connection, in the dialer's Control
// hook, on the address actually dialled: a DNS answer that changed to a private address since
// registration (DNS rebinding) is refused there too.

// ErrBlockedAddress is returned for a destination that is not a public address.
var ErrBlockedAddress = errors.New("webhook: destination address not allowed")

// blocked are the ranges refused besides what netip classifies (loopback, private, link-local,
// multicast, unspecified).
var blocked = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, broadcast
	netip.MustParsePrefix("64:ff9b::/96"),    // NAT64 (maps to any IPv4, private ones too)
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use NAT64
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("fd00:ec2::254/128"),
}

// Guard decides which addresses outgoing webhook requests may reach.
type Guard struct {
	// AllowLoopback lets receivers on 127.0.0.0/8 and ::1 through (CRM_WEBHOOK_ALLOW_LOOPBACK=1,
	// for tests only); every other refused range stays refused.
	AllowLoopback bool
	// Resolver looks host names up; nil is net.DefaultResolver. Tests give a stub.
	Resolver interface {
		LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
	}
}

// Allowed reports whether a is a destination requests may go to.
func (g Guard) Allowed(a netip.Addr) bool {
	a = a.Unmap()
	if a.IsLoopback() {
		return g.AllowLoopback
	}
	if !a.IsValid() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() || a.IsMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsUnspecified() {
		return false
	}
	for _, p := range blocked {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

func (g Guard) resolver() interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
} {
	if g.Resolver != nil {
		return g.Resolver
	}
	return net.DefaultResolver
}

// CheckURL parses a receiver URL and checks it: http or https, a host, no credentials, and
// every address the host resolves to allowed. The error says which of these failed.
func (g Guard) CheckURL(ctx context.Context, raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.Opaque != "" {
		return nil, errURL
	}
	if u.User != nil {
		return nil, errURL
	}
	host := u.Hostname()
	if a, err := netip.ParseAddr(host); err == nil {
		if !g.Allowed(a) {
			return nil, ErrBlockedAddress
		}
		return u, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	addrs, err := g.resolver().LookupNetIP(ctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return nil, errUnresolved
	}
	for _, a := range addrs {
		if !g.Allowed(a) {
			return nil, ErrBlockedAddress
		}
	}
	return u, nil
}

var (
	errURL        = errors.New("webhook: not an http(s) URL with a host")
	errUnresolved = errors.New("webhook: host does not resolve")
)

// Client is the HTTP client deliveries are sent with: the timeout per request, no proxy from
// the environment (it would hide the destination from the check), redirects not followed (a
// redirect could lead anywhere), and a dialer that resolves through the guard's resolver and
// refuses, at connect time, every address Allowed refuses.
func (g Guard) Client(timeout time.Duration) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, Control: func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil || !g.Allowed(ap.Addr()) {
			return fmt.Errorf("%w: %s", ErrBlockedAddress, address)
		}
		return nil
	}}
	tr := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, address string) (net.Conn, error) {
			host, port, err := net.SplitHostPort(address)
			if err != nil {
				return nil, err
			}
			addrs := []netip.Addr{}
			if a, err := netip.ParseAddr(host); err == nil {
				addrs = append(addrs, a)
			} else if addrs, err = g.resolver().LookupNetIP(ctx, "ip", host); err != nil {
				return nil, err
			}
			var last error = errUnresolved
			for _, a := range addrs {
				if !g.Allowed(a) {
					last = fmt.Errorf("%w: %s", ErrBlockedAddress, a)
					continue
				}
				// Dial the checked address itself (not the name again), so the answer that was
				// checked is the one connected to; Control checks it once more.
				c, err := dialer.DialContext(ctx, network, net.JoinHostPort(a.Unmap().String(), port))
				if err == nil {
					return c, nil
				}
				last = err
			}
			return nil, last
		},
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: timeout,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       30 * time.Second,
	}
	return &http.Client{Timeout: timeout, Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}
