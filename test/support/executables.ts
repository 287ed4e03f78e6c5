import * as fs from "node:fs";
import * as path from "node:path";

/** The first executable `name` on PATH, like `command -v`. */
export function onPath(name: string): string | undefined {
    for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
        if (dir === "") continue;
        const candidate = path.join(dir, name);
        try {
            fs.accessSync(candidate, fs.constants.X_OK);
            return candidate;
        } catch {
            // not in this directory
        }
    }
    return undefined;
}

/** `name` on PATH, or else in one of the directories root's PATH has but a user's may lack. */
export function findExecutable(name: string, extraDirs: string[]): string | undefined {
    return onPath(name) ?? extraDirs.map((d) => path.join(d, name)).find((p) => fs.existsSync(p));
}
