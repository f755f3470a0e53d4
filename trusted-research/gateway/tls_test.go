package gateway

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	gentrev1 "github.com/gentre/gentre/trusted-research/api/gentre/v1"
)

// selfSigned writes a certificate for 127.0.0.1 and its key, and returns
// their paths and a pool trusting the certificate.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "gentre test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile = writeFile(t, dir, "cert.pem", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	keyFile = writeFile(t, dir, "key.pem", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})))
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestTLS serves REST (HTTP/2 and HTTP/1.1) and gRPC over TLS, on the one
// listener and on a separate gRPC listener.
func TestTLS(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	s := startServer(t, serverOpts{grpcAddr: true, serve: func(o *ServeOptions) { o.TLSCert, o.TLSKey = certFile, keyFile }})
	if !strings.HasPrefix(s.base, "https://") {
		t.Fatalf("base %s", s.base)
	}
	for _, h2 := range []bool{true, false} {
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: h2}
		if !h2 {
			tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
		}
		c := &http.Client{Transport: tr}
		req, _ := http.NewRequest("POST", s.base+"/v1/cohorts:count", strings.NewReader(`{"query":"all"}`))
		req.Header.Set("Authorization", "Bearer "+s.tokens["researcher"])
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		wantProto := map[bool]int{true: 2, false: 1}[h2]
		if resp.StatusCode != 200 || resp.ProtoMajor != wantProto {
			t.Fatalf("https (h2 %v): %d %s", h2, resp.StatusCode, resp.Proto)
		}
	}
	// Plain HTTP to the TLS port fails.
	if resp, err := http.Get("http://" + s.addr + "/healthz"); err == nil && resp.StatusCode == 200 {
		t.Fatal("plain HTTP answered on the TLS listener")
	}
	for _, addr := range []string{s.addr, s.grpc} {
		conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{RootCAs: pool})))
		if err != nil {
			t.Fatal(err)
		}
		r, err := gentrev1.NewGentreClient(conn).CountCohort(s.ctx(s.tokens["researcher"]), &gentrev1.CountCohortRequest{Query: "condition(44054006)"})
		conn.Close()
		if err != nil || r.GetCount() != 40 {
			t.Fatalf("gRPC over TLS on %s: %v %v", addr, r, err)
		}
	}
}
