import { expect, it } from "vitest";
import { secretPlaces } from "./schema";

it("marks exactly the places that hold secret values, once, in the schema", () => {
    expect(secretPlaces()).toEqual([
        { top: "secrets", path: [] },
        { top: "database", path: ["existing", "password"] },
        { top: "database", path: ["external", "url"] },
    ]);
});
