/** One problem: the config key as typed in `pulumi config set`, and what is wrong with it. */
export interface Problem {
    key: string;
    message: string;
}

/** Bad stack config, found before anything is declared: every problem, each naming its key. */
export class ConfigError extends Error {
    constructor(public readonly problems: Problem[]) {
        super(`Invalid stack configuration:\n${problems.map((p) => `  - ${p.key}: ${p.message}`).join("\n")}`);
        this.name = "ConfigError";
    }
}
