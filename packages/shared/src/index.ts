export * from "./diagnose";
export * from "./evaluate";
export * from "./lints";
export * from "./matcher";
export * from "./schemas/auth";
export * from "./schemas/common";
export * from "./schemas/connections";
export * from "./text";
