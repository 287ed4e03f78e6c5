// Moved to offline/simulated-account.ts (shared by the tests and `npm run check`); kept so existing imports work.
export * from "../../offline/simulated-account";
