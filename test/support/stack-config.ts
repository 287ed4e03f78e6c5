// Moved to offline/stack-config.ts (shared by the tests and `npm run check`); kept so existing imports work.
export * from "../../offline/stack-config";
