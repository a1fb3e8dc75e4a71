module github.com/scriptengine/scriptengine/clients/go

go 1.26.0

replace github.com/scriptengine/scriptengine/gen/go => ../../gen/go

require (
	github.com/scriptengine/scriptengine/gen/go v0.0.0
	google.golang.org/genproto/googleapis/rpc v0.0.0-20260825221802-da73d73af1c5
	google.golang.org/grpc v1.85.0
	google.golang.org/protobuf v1.36.12
)

require (
	golang.org/x/net v0.60.0 // indirect
	golang.org/x/sys v0.48.0 // indirect
	golang.org/x/text v0.42.0 // indirect
)
