package gateway

import (
	"context"
	"net"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
)

// DefaultMaxAuthFailures is how many failed authentications a client
// address may make in a minute before the gateway refuses its requests
// (429) until the minute is over.
const DefaultMaxAuthFailures = 60

// authLimiter counts failed authentications per client address in fixed
// one-minute windows. It bounds what a client without a valid token can
// make the gateway do: each refusal is an audit entry (an fsync), so
// without it an anonymous client could load the disk at will. Tokens are
// 256-bit random, so it is not what stops guessing them.
type authLimiter struct {
	max int
	now func() time.Time

	mu      sync.Mutex
	windows map[string]*authWindow
}

type authWindow struct {
	start    time.Time
	failures int
	reported bool // the first refusal of the window was audited
}

const authWindowLength = time.Minute

func newAuthLimiter(max int, now func() time.Time) *authLimiter {
	if now == nil {
		now = time.Now
	}
	return &authLimiter{max: max, now: now, windows: map[string]*authWindow{}}
}

// window returns addr's current window, starting a new one when the last
// has ended. l.mu held.
func (l *authLimiter) window(addr string) *authWindow {
	now := l.now()
	w := l.windows[addr]
	if w == nil || now.Sub(w.start) >= authWindowLength {
		if len(l.windows) >= 1<<16 {
			for a, old := range l.windows { // drop ended windows
				if now.Sub(old.start) >= authWindowLength {
					delete(l.windows, a)
				}
			}
		}
		w = &authWindow{start: now}
		l.windows[addr] = w
	}
	return w
}

// blocked reports whether addr has used up its failures for this window,
// and whether this is the window's first refusal (the one audited).
func (l *authLimiter) blocked(addr string) (blocked, first bool) {
	if l == nil || l.max < 0 {
		return false, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.window(addr)
	if w.failures < l.max {
		return false, false
	}
	first = !w.reported
	w.reported = true
	return true, first
}

// fail records a failed authentication from addr.
func (l *authLimiter) fail(addr string) {
	if l == nil || l.max < 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.window(addr).failures++
}

// clientAddr is the request's client IP: the gRPC peer, or for REST
// (grpc-gateway calls in process, without a peer) the address grpc-gateway
// appends to X-Forwarded-For (the last one: a client can send the header,
// but not change what the gateway appends). The peer comes first because a
// gRPC client can send any x-forwarded-for metadata it likes.
func clientAddr(ctx context.Context) string {
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		if host, _, err := net.SplitHostPort(p.Addr.String()); err == nil {
			return host
		}
		return p.Addr.String()
	}
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		if v := md.Get("x-forwarded-for"); len(v) > 0 {
			parts := strings.Split(v[len(v)-1], ",")
			return strings.TrimSpace(parts[len(parts)-1])
		}
	}
	return "unknown"
}
