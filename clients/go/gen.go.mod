// Copied to gen/go/go.mod by `make gen` (buf's `clean: true` empties gen/go on every run), so
// the generated package is a module that clients/go consumes through a `replace`.
module github.com/scriptengine/scriptengine/gen/go

go 1.24

require (
	google.golang.org/grpc v1.85.0
	google.golang.org/protobuf v1.36.12
)
