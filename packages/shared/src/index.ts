export * from "./diagnose";
export * from "./evaluate";
export * from "./lints";
export * from "./matcher";
export * from "./schemas/api-tokens";
export * from "./schemas/auth";
export * from "./schemas/common";
export * from "./schemas/connections";
