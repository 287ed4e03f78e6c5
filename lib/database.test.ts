import { describe, expect, it } from "vitest";
import { portOf, postgresUrl } from "./database";

describe("database URL helpers", () => {
    it.each([
        ["plain", "pw", "postgresql://app:pw@h:5432/db"],
        ["reserved characters", "p@ss/w:rd?#%", "postgresql://app:p%40ss%2Fw%3Ard%3F%23%25@h:5432/db"],
        ["spaces and quotes", "a b\"c", "postgresql://app:a%20b%22c@h:5432/db"],
    ])("encodes a %s password", (_, password, url) => {
        expect(postgresUrl("app", password, "h", 5432, "db")).toBe(url);
        expect(decodeURIComponent(new URL(url).password)).toBe(password);
    });

    it.each([["postgres://u:p@h/db", 5432], ["postgresql://u:p@h:6543/db?sslmode=require", 6543]])("finds the port of %s", (url, port) => {
        expect(portOf(url)).toBe(port);
    });
});
