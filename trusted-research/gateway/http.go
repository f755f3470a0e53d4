package gateway

import (
	"context"
	"net/http"
	"regexp"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	gentrev1 "github.com/gentre/gentre/trusted-research/api/gentre/v1"
)

// maxRequestBytes bounds a request body (REST) or message (gRPC): queries
// are small.
const maxRequestBytes = 1 << 20

// newGRPCServer returns a gRPC server with the gentre.v1 service and the
// standard health service (no token needed for health).
func (g *Gateway) newGRPCServer(extra ...grpc.ServerOption) *grpc.Server {
	opts := append([]grpc.ServerOption{grpc.MaxRecvMsgSize(maxRequestBytes)}, extra...)
	s := grpc.NewServer(opts...)
	gentrev1.RegisterGentreServer(s, g)
	healthpb.RegisterHealthServer(s, health.NewServer())
	return s
}

// jsonMarshaler is how REST requests and answers are encoded:
//   - field names as in the .proto (snake_case, like the CLI's JSON);
//   - EmitUnpopulated, so that zeros are written (ac: 0, suppressed:
//     false) — a client must not have to guess that a missing field means
//     0. Fields declared `optional` (count, af, the statistics) are still
//     left out when unset: protojson never emits an unset optional, and that
//     is how a suppressed count has no "count";
//   - unknown request fields are an error (400), so a misspelt field is not
//     silently ignored.
//
// Counts are int32 in the API, so they are JSON numbers (protojson writes
// int64 as strings).
func jsonMarshaler() *runtime.JSONPb {
	return &runtime.JSONPb{
		MarshalOptions:   protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true},
		UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: false},
	}
}

// Handler returns the HTTP handler of the REST API, the OpenAPI document,
// the health check, and gRPC (requests with content-type application/grpc
// over HTTP/2 go to the gRPC server).
func (g *Gateway) Handler() http.Handler {
	rest := runtime.NewServeMux(
		runtime.WithMarshalerOption(runtime.MIMEWildcard, jsonMarshaler()),
		runtime.WithErrorHandler(httpError),
		runtime.WithOutgoingHeaderMatcher(outgoingHeader),
	)
	// In-process registration: REST calls the same methods as gRPC, so they
	// take the same path (authentication, matrix, disclosure, audit).
	if err := gentrev1.RegisterGentreHandlerServer(context.Background(), rest, g); err != nil {
		panic("gateway: registering REST handlers: " + err.Error()) // only on a generated-code bug
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"ok"}` + "\n"))
	})
	mux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(gentrev1.OpenAPI)
	})
	mux.Handle("/v1/", rest)
	// Beacon v2 clients expect its JSON in camelCase (responseSummary,
	// numTotalResults): the beacon routes get a mux of their own whose
	// answers use the JSON names.
	beaconJSON := jsonMarshaler()
	beaconJSON.MarshalOptions.UseProtoNames = false
	beaconMux := runtime.NewServeMux(
		runtime.WithMarshalerOption(runtime.MIMEWildcard, beaconJSON),
		runtime.WithErrorHandler(httpError),
		runtime.WithOutgoingHeaderMatcher(outgoingHeader),
	)
	if err := gentrev1.RegisterGentreHandlerServer(context.Background(), beaconMux, g); err != nil {
		panic("gateway: registering REST handlers: " + err.Error())
	}
	mux.Handle("/v1/beacon/", beaconMux)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor == 2 && strings.HasPrefix(r.Header.Get("Content-Type"), "application/grpc") {
			g.grpcHTTP.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		r.Body = http.MaxBytesReader(w, r.Body, maxRequestBytes)
		mux.ServeHTTP(w, r)
	})
}

// httpError writes a gRPC status as HTTP (grpc-gateway's mapping:
// Unauthenticated 401, PermissionDenied 403, ResourceExhausted 429,
// InvalidArgument/FailedPrecondition/OutOfRange 400, NotFound 404,
// Unimplemented 501, Internal 500), with a WWW-Authenticate challenge on
// 401.
func httpError(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, err error) {
	err = scrubDecodeError(err)
	if status.Code(err) == codes.Unauthenticated {
		// grpc-gateway puts the status message in WWW-Authenticate; a
		// challenge must name the scheme (RFC 9110, 11.6.1).
		w = challengeWriter{w}
	}
	runtime.DefaultHTTPErrorHandler(ctx, mux, m, w, r, err)
}

// protoFieldError keeps what a JSON decoding error says about the field
// (its name), and not the value, which may be an identifier (an NHS number
// sent as a JSON number is quoted back by the decoder).
var protoFieldError = regexp.MustCompile(`^proto:.*?(unknown field "[A-Za-z0-9_.]*"|invalid value for [a-z0-9]+ field [A-Za-z0-9_.]+|duplicate field [A-Za-z0-9_."]+)`)

// scrubDecodeError rewrites a request body decoding error (grpc-gateway
// passes protojson's message on) so that it names the field and the
// problem but quotes nothing of the request.
func scrubDecodeError(err error) error {
	st, ok := status.FromError(err)
	if !ok || st.Code() != codes.InvalidArgument || !strings.HasPrefix(st.Message(), "proto:") {
		return err
	}
	if m := protoFieldError.FindStringSubmatch(st.Message()); m != nil {
		return status.Error(codes.InvalidArgument, "request body: "+m[1])
	}
	return status.Error(codes.InvalidArgument, "request body: not valid JSON for this endpoint (docs/api.md)")
}

// challengeWriter sets the bearer challenge as the header is written.
type challengeWriter struct{ http.ResponseWriter }

func (w challengeWriter) WriteHeader(code int) {
	if code == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="gentre", error="invalid_token"`)
	}
	w.ResponseWriter.WriteHeader(code)
}

// outgoingHeader passes the gateway's own response metadata (x-gentre-*)
// on as HTTP headers and nothing else.
func outgoingHeader(key string) (string, bool) {
	if strings.HasPrefix(key, "x-gentre-") {
		return http.CanonicalHeaderKey(key), true
	}
	return "", false
}
