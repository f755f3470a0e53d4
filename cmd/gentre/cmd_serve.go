package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/gentre/gentre/trusted-research/gateway"
)

// runServe serves the store's REST + gRPC API until SIGINT or SIGTERM.
func runServe(args []string, stdout, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serve(ctx, args, stderr)
}

// serve is runServe with the stop signal as a context (tests cancel it).
func serve(ctx context.Context, args []string, stderr io.Writer) error {
	fs := newFlags("serve")
	dir := fs.String("store", "", "store folder")
	addr := fs.String("addr", "127.0.0.1:8080", "HOST:PORT for REST, OpenAPI and gRPC (loopback only without TLS)")
	grpcAddr := fs.String("grpc-addr", "", "also serve gRPC alone on this HOST:PORT")
	cert := fs.String("tls-cert", "", "TLS certificate (PEM)")
	key := fs.String("tls-key", "", "TLS private key (PEM)")
	threads := fs.Int("threads", 0, "threads per query (default: all cores)")
	if err := parseStoreFlags(fs, args, dir); err != nil {
		return err
	}
	if (*cert == "") != (*key == "") {
		return usageError("give both --tls-cert and --tls-key, or neither")
	}
	if *cert == "" {
		// Refuse before opening anything, with the flag's name.
		if err := gateway.CheckPlaintextAddr("--addr", *addr); err != nil {
			return usageError("%v", err)
		}
		if *grpcAddr != "" {
			if err := gateway.CheckPlaintextAddr("--grpc-addr", *grpcAddr); err != nil {
				return usageError("%v", err)
			}
		}
	}
	pkey, err := loadKey(*dir)
	if err != nil {
		return err
	}
	logf := func(format string, args ...any) {
		fmt.Fprintf(stderr, "%s gentre serve: %s\n", time.Now().UTC().Format(time.RFC3339), fmt.Sprintf(format, args...))
	}
	g, err := gateway.Open(*dir, &gateway.Options{Key: pkey, Workers: *threads, Logf: logf})
	if err != nil {
		return err
	}
	scheme := "http"
	if *cert != "" {
		scheme = "https"
	}
	err = g.Serve(ctx, gateway.ServeOptions{
		Addr: *addr, GRPCAddr: *grpcAddr, TLSCert: *cert, TLSKey: *key,
		Ready: func(rest, grpcA net.Addr) {
			fmt.Fprintf(stderr, "gentre serve: listening on %s://%s (REST, OpenAPI at /openapi.json, gRPC)\n", scheme, rest)
			if grpcA != nil {
				fmt.Fprintf(stderr, "gentre serve: gRPC on %s\n", grpcA)
			}
		},
	})
	if cerr := g.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(stderr, "gentre serve: stopped")
	return nil
}
