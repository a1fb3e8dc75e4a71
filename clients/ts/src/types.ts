// The contract's messages and enums, re-exported so callers need one import.
export * from "../../../gen/ts/scriptengine/v1/common_pb.js";
export * from "../../../gen/ts/scriptengine/v1/config_pb.js";
export * from "../../../gen/ts/scriptengine/v1/errors_pb.js";
export * from "../../../gen/ts/scriptengine/v1/events_pb.js";
export * from "../../../gen/ts/scriptengine/v1/event_service_pb.js";
export * from "../../../gen/ts/scriptengine/v1/migration_pb.js";
export * from "../../../gen/ts/scriptengine/v1/migration_service_pb.js";
export * from "../../../gen/ts/scriptengine/v1/registry_service_pb.js";
export * from "../../../gen/ts/scriptengine/v1/script_pb.js";
export * from "../../../gen/ts/scriptengine/v1/script_service_pb.js";
export * from "../../../gen/ts/scriptengine/v1/tool_service_pb.js";
