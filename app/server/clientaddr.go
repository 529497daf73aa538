package server

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// proxies are the reverse proxies whose X-Forwarded-For the server believes
// (CRM_TRUSTED_PROXIES). Empty, no header is believed: the client is the socket's peer.
type proxies []netip.Prefix

// parseProxies reads CRM_TRUSTED_PROXIES: addresses and CIDR ranges, separated by commas.
func parseProxies(spec string) (proxies, error) {
	var out proxies
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if strings.Contains(part, "/") {
			p, err := netip.ParsePrefix(part)
			if err != nil {
				return nil, fmt.Errorf("CRM_TRUSTED_PROXIES: %q is no address or CIDR range", part)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(part)
		if err != nil {
			return nil, fmt.Errorf("CRM_TRUSTED_PROXIES: %q is no address or CIDR range", part)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// strings lists the proxies for Fiber's TrustedProxies.
func (ps proxies) strings() []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

func (ps proxies) trust(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientAddr is the address of the client behind any trusted proxies: the socket's peer when
// that is not a trusted proxy; else X-Forwarded-For read from the right — each trusted proxy
// appends the address it received the request from — skipping trusted proxies, up to the first
// address that is not one. Entries to the left of that one were written by the client and are
// never believed, so a forged header buys nothing. A malformed entry ends the walk at the last
// proxy that vouched for the hop.
func (ps proxies) clientAddr(c *fiber.Ctx) netip.Addr {
	peer, _ := netip.AddrFromSlice(c.Context().RemoteIP())
	peer = peer.Unmap()
	if len(ps) == 0 || !ps.trust(peer) {
		return peer
	}
	var hops []string
	for _, v := range c.Request().Header.PeekAll(fiber.HeaderXForwardedFor) {
		hops = append(hops, strings.Split(string(v), ",")...)
	}
	addr := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return addr
		}
		addr = a.Unmap()
		if !ps.trust(addr) {
			return addr
		}
	}
	return addr
}

// limitKey is the client address as rate limits count it: an IPv6 client by its /64, the
// smallest network a subscriber is usually given, so that one client cannot spread its
// attempts over the 2^64 addresses it holds.
func limitKey(a netip.Addr) string {
	if a.Is6() && !a.Is4In6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}
