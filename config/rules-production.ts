import { objectKeys, projectKey as P, type Reporter } from "./report";
import type { RuleInput } from "./rule-input";
import { type ProcessConfig, processNamePattern, processSchema } from "./schema";

/**
 * Rules of the production defaults that span fields: one way to HTTPS, scaling bounds around
 * the starting size, what may be scheduled, and which settings only some processes take.
 */

export function production(r: Reporter, input: RuleInput): void {
    const { c } = input;
    if (c.domain !== undefined && c.certificateArn !== undefined) {
        r.add(P("domain"), [], "expected either domain (the stack creates and validates a certificate) or certificateArn (a certificate managed elsewhere), got both");
    }
    scaledAndScheduled(r, input);
}

/** The process entries that parsed, with whether `count` was typed (it has a default). */
function processEntries({ c, settings }: RuleInput): [string, ProcessConfig, boolean][] {
    const raw = settings.processes;
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return [];
    const typed = (name: string) => objectKeys((raw as Record<string, unknown>)[name]).includes("count");
    if (c.processes !== undefined) return Object.entries(c.processes).map(([n, p]) => [n, p, typed(n)]);
    return Object.entries(raw).flatMap(([name, value]) => {
        const parsed = processSchema.safeParse(value);
        return processNamePattern.test(name) && parsed.success ? [[name, parsed.data, typed(name)] as [string, ProcessConfig, boolean]] : [];
    });
}

function scaledAndScheduled(r: Reporter, input: RuleInput): void {
    const key = P("processes");
    for (const [name, p, countTyped] of processEntries(input)) {
        const release = p.phase === "release";
        if (p.capacity === "spot" && release) {
            r.add(key, [name, "capacity"], `expected no capacity for the release phase (it runs inside every task of the release, on that task's capacity), got "spot"`);
        }
        if (p.schedule !== undefined) {
            if (name === "web") r.add(key, ["web", "schedule"], "expected no schedule for web: it is the service behind the load balancer; schedule another process");
            else if (release) r.add(key, [name, "schedule"], `expected no schedule for the release phase (it runs before every task of a release), got ${r.show(key, [name, "schedule"], p.schedule)}`);
            if (p.scaling !== undefined) r.add(key, [name, "scaling"], "expected no scaling for a scheduled process: it has no service, each firing runs one task");
            if (countTyped) r.add(key, [name, "count"], `expected no count for a scheduled process: it has no service, each firing runs one task; got ${r.show(key, [name, "count"], p.count)}`);
        }
        const s = p.scaling;
        if (s === undefined) continue;
        if (release) {
            r.add(key, [name, "scaling"], "expected no scaling for the release phase: it has no service of its own");
            continue;
        }
        if (s.requestsPerTarget !== undefined && name !== "web") {
            r.add(key, [name, "scaling", "requestsPerTarget"], `expected requestsPerTarget only for web (the process behind the load balancer), got ${r.show(key, [name, "scaling", "requestsPerTarget"], s.requestsPerTarget)}`);
        }
        if (s.min > s.max) {
            r.add(key, [name, "scaling", "max"], `expected at least scaling.min (${s.min}), got ${s.max}`);
        } else if (p.schedule === undefined && (p.count < s.min || p.count > s.max)) {
            const why = countTyped ? "" : " (count defaults to 1)";
            r.add(key, [name, "count"], `expected a starting size from scaling.min to scaling.max (${s.min}–${s.max}), got ${p.count}${why}`);
        }
    }
}
