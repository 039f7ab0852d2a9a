/** Stack configuration: schema, validation and the release being shipped. */
export * from "./issues";
export * from "./projectConfig";
export * from "./release";
export * from "./stackConfig";
export * from "./secrets";
export * from "./sharedConfig";
