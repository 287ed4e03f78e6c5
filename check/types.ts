import type { Level } from "../policy/enforcement";

/**
 * The report `npm run check -- --json` prints: one JSON document, its field names stable
 * (schemaVersion 1; fields may be added, none renamed or removed without a new version).
 * README.md "Offline check" documents them; test/check-cli.test.ts holds them.
 */

export interface CheckDocument {
    schemaVersion: 1;
    /** True when every stack is clean (exit 0). */
    ok: boolean;
    /** The process exit code: 0 clean, 1 config error or mandatory policy violation. */
    exitCode: 0 | 1;
    /** --strict: a required secret missing from the stack file is an error. */
    strict: boolean;
    stacks: StackReport[];
}

export interface Problem {
    /** The config key as typed (`twelve-factor:processes.web.cpu`, `aws:region`), or a file. */
    key: string;
    message: string;
}

export interface StackReport {
    stack: string;
    /** The stack file read (relative to the project directory). */
    stackFile: string;
    region?: string;
    /** Config errors, policy results and (under --strict) missing secrets all clear. */
    ok: boolean;
    config: {
        ok: boolean;
        /** Every problem, each naming its key; any makes the check fail. */
        errors: Problem[];
        /** Reported, not failing (a missing secret without --strict). */
        warnings: Problem[];
        /** Secret values by key: names and state only, never a value. */
        secrets: { key: string; state: "encrypted" | "missing" }[];
    };
    /** The program refused to run (after the config passed): its message. */
    programError?: string;
    /** Absent when the config or the program failed. */
    resources?: ResourceSummary;
    release?: ReleaseReport;
    processes?: ProcessReport[];
    permissions?: RolePermissions[];
    policies?: PolicyReport;
    cost?: CostReport;
    /** Plain statements of what the check could not know offline. */
    notes: string[];
}

export interface ResourceSummary {
    /** Custom (AWS, Docker, random) resources declared. */
    total: number;
    /** Per top-level component (`Network`, `Database`, …) and type: how many, and their logical names. */
    groups: { component: string; type: string; count: number; names: string[] }[];
}

export interface ReleaseReport {
    /** The release the services run after the deploy. */
    release: string;
    /**
     * new: the deploy creates it; same: it re-declares the newest release; same-unless-secrets: the
     * newest release unless a secret value changed (opaque here); pinned: release.pin freezes the stack.
     */
    status: "new" | "same" | "same-unless-secrets" | "pinned";
    previous: string | null;
    pinned: string | null;
    /** Content digest; null when it hashes secret values the check cannot see. */
    digest: string | null;
    ledger: { given: boolean; entries: number; newest: string | null };
    image: { ref: string; source: "build" | "promote" | "image" | "pinned"; builds: boolean; simulated: boolean };
    /** Config keys whose values differ from the running release: names only. `unknown`: secret keys whose change the check cannot tell. */
    keys: { added: string[]; changed: string[]; removed: string[]; unknown: string[] };
    processesChanged: string[];
}

export interface ProcessReport {
    process: string;
    /** run: a service; release: runs before every task of the release (and by hand). */
    phase: "run" | "release";
    image: string;
    cpu: number;
    memory: number;
    /** Desired tasks (0 for a release-phase process). */
    count: number;
    capacity: string;
    /** Names of the secrets it reads (valueFrom), and of its plain environment. */
    secrets: string[];
    environment: string[];
    /** Application Auto Scaling's bounds, when it scales the service (idle runs at min). */
    scaling?: { min: number; max: number };
}

export interface RolePermissions {
    role: string;
    /** One line per statement: `Allow a, b on r1, r2`. */
    statements: string[];
}

export interface PolicyReport {
    mandatoryViolations: number;
    advisoryViolations: number;
    results: { policy: string; enforcement: Level; violations: { resource?: string; message: string }[] }[];
}

export interface CostLine {
    type: string;
    /** What the money is for (`NAT gateway hours`, `Fargate vCPU (web ×2)`). */
    driver: string;
    quantity: number;
    unit: string;
    /** USD per unit; null where the type costs nothing at idle. */
    unitPrice: number | null;
    monthly: number;
    note?: string;
}

export interface CostReport {
    region: string;
    currency: "USD";
    /** Whether prices.json has this region; if not, no figure is guessed. */
    known: boolean;
    pricesAsOf?: string;
    hoursPerMonth: number;
    /** Rounded to cents; null for an unknown region. */
    monthlyTotal: number | null;
    lines: CostLine[];
    /** Resource types with no cost rule (the estimate is then incomplete). */
    unpriced: string[];
}
