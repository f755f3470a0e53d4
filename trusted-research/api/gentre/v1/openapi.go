package gentrev1

import _ "embed"

// OpenAPI is the OpenAPI 2.0 (Swagger) document of the REST API, generated
// from gentre.proto by protoc-gen-openapiv2 (make proto). The gateway serves
// it at GET /openapi.json without a token.
//
//go:embed gentre.swagger.json
var OpenAPI []byte
