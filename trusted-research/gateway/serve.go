package gateway

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
)

// ServeOptions say where and how to listen.
type ServeOptions struct {
	// Addr is HOST:PORT for REST, the OpenAPI document, the health check
	// and gRPC (dispatched by content-type).
	Addr string
	// GRPCAddr optionally serves gRPC alone on a second HOST:PORT (native
	// gRPC transport).
	GRPCAddr string
	// TLSCert and TLSKey are PEM files. Without them the gateway speaks
	// plain HTTP (HTTP/1.1 and h2c) and only on loopback addresses.
	TLSCert, TLSKey string
	// Ready, if set, is called with the bound addresses once listening
	// (grpc is nil without GRPCAddr).
	Ready func(rest, grpc net.Addr)
	// ShutdownTimeout bounds the graceful shutdown (default 10 s): then
	// open connections are closed.
	ShutdownTimeout time.Duration
}

// CheckPlaintextAddr refuses an address plain HTTP must not be served on:
// anything but a loopback address (127.0.0.0/8, ::1, localhost). An empty
// host means every interface and is refused too.
func CheckPlaintextAddr(flag, addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%s %q: want HOST:PORT: %v", flag, addr, err)
	}
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%s %s is not a loopback address: without TLS the gateway serves only on 127.0.0.1, ::1 or localhost "+
		"(tokens and answers would cross the network in the clear); give --tls-cert and --tls-key to serve on other addresses", flag, addr)
}

// Serve listens and serves until ctx is done, then shuts down gracefully:
// no new connections, requests in flight finish (up to ShutdownTimeout).
// It returns nil after a clean shutdown. It does not Close the Gateway.
func (g *Gateway) Serve(ctx context.Context, o ServeOptions) error {
	if (o.TLSCert == "") != (o.TLSKey == "") {
		return errors.New("give both --tls-cert and --tls-key, or neither")
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = 10 * time.Second
	}
	var tlsConf *tls.Config
	if o.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(o.TLSCert, o.TLSKey)
		if err != nil {
			return fmt.Errorf("TLS certificate and key: %w", err)
		}
		tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	} else {
		if err := CheckPlaintextAddr("--addr", o.Addr); err != nil {
			return err
		}
		if o.GRPCAddr != "" {
			if err := CheckPlaintextAddr("--grpc-addr", o.GRPCAddr); err != nil {
				return err
			}
		}
	}

	lis, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return err
	}
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	if tlsConf != nil {
		protocols.SetHTTP2(true)
	} else {
		protocols.SetUnencryptedHTTP2(true) // h2c with prior knowledge: what gRPC clients speak
	}
	srv := &http.Server{
		Handler:           g.Handler(),
		Protocols:         &protocols,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          log.New(logfWriter{g.opts.Logf}, "", 0),
		TLSConfig:         tlsConf,
	}
	var gs *grpc.Server
	var glis net.Listener
	if o.GRPCAddr != "" {
		if glis, err = net.Listen("tcp", o.GRPCAddr); err != nil {
			lis.Close()
			return err
		}
		var extra []grpc.ServerOption
		if tlsConf != nil {
			extra = append(extra, grpc.Creds(credentials.NewTLS(tlsConf)))
		}
		gs = g.newGRPCServer(extra...)
	}

	errc := make(chan error, 2)
	go func() {
		if tlsConf != nil {
			errc <- srv.ServeTLS(lis, "", "")
			return
		}
		errc <- srv.Serve(lis)
	}()
	if gs != nil {
		go func() { errc <- gs.Serve(glis) }()
	}
	if o.Ready != nil {
		var ga net.Addr
		if glis != nil {
			ga = glis.Addr()
		}
		o.Ready(lis.Addr(), ga)
	}

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	sctx, cancel := context.WithTimeout(context.Background(), o.ShutdownTimeout)
	defer cancel()
	shutErr := srv.Shutdown(sctx)
	if gs != nil {
		done := make(chan struct{})
		go func() { gs.GracefulStop(); close(done) }()
		select {
		case <-done:
		case <-sctx.Done():
			gs.Stop()
		}
	}
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return serveErr
	}
	if shutErr != nil {
		srv.Close()
		return fmt.Errorf("shutdown: %w", shutErr)
	}
	return nil
}

// logfWriter sends net/http's own log lines (TLS handshake errors and the
// like) to Options.Logf.
type logfWriter struct{ logf func(string, ...any) }

func (w logfWriter) Write(p []byte) (int, error) {
	w.logf("%s", strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}
