// Package api holds the protocol buffer definitions of the gentre API
// (gentre/v1/gentre.proto), the googleapis protos they import (vendored,
// google/api), and the Go code generated from them (gentre/v1: messages,
// gRPC service, grpc-gateway REST handlers, OpenAPI document). `make proto`
// regenerates the code; building needs no protoc. docs/api.md is the guide.
package api
