import { maxProgramTagsPerResource, maxTagsPerResource, partitionOf, programTagKeys } from "./aws";
import { objectKeys, projectKey as P, type Path, type Reporter } from "./report";
import type { RuleInput } from "./rule-input";
import { acmCertificateArn } from "./schema";

/** Rules of what the stack puts on the network: adopted subnets, the certificate, tags. */

const region = "aws:region";

export function network(r: Reporter, { c }: RuleInput): void {
    if (c.network?.mode !== "existing") return;
    const key = P("network");
    const n = c.network;
    for (const tier of ["publicSubnetIds", "privateSubnetIds"] as const) {
        n[tier].forEach((id, i) => {
            const first = n[tier].indexOf(id);
            if (first !== i) r.add(key, [tier, i], `expected each subnet once, got ${r.show(key, [tier, i], id)} again (also ${tier}[${first}])`);
        });
    }
    // ECS: a service's awsvpc configuration takes at most 16 subnets.
    if (n.privateSubnetIds.length > maxServiceSubnets) {
        r.add(key, ["privateSubnetIds"], `expected at most ${maxServiceSubnets} subnets (ECS's limit for a service's network configuration), got ${n.privateSubnetIds.length}`);
    }
    n.privateSubnetIds.forEach((id, i) => {
        if (n.publicSubnetIds.includes(id)) {
            r.add(key, ["privateSubnetIds", i], `expected private subnets apart from the public ones (tasks and the database must not sit where the load balancer faces the internet), got ${r.show(key, ["privateSubnetIds", i], id)} in both`);
        }
    });
}

const maxServiceSubnets = 16;

export function certificate(r: Reporter, { c, aws }: RuleInput): void {
    if (c.certificateArn === undefined) return;
    const key = P("certificateArn");
    const m = acmCertificateArn.exec(c.certificateArn)!;
    const [, partition, certRegion, account] = m;
    const hidden = r.hides(key, []);
    if (c.region !== undefined) {
        const lbRegion = r.hides(region, []) ? "aws:region" : c.region;
        if (certRegion !== c.region) {
            r.add(key, [], `expected a certificate in ${lbRegion}, the load balancer's region (aws:region), got one in ${hidden ? "another region (hidden)" : certRegion}: ACM certificates are regional`);
        } else if (partition !== partitionOf(c.region)) {
            r.add(key, [], `expected an ARN of the ${partitionOf(c.region)} partition (aws:region), got ${hidden ? "another (hidden)" : partition}`);
        }
    }
    if (aws.allowedAccountIds !== undefined && !aws.allowedAccountIds.includes(account)) {
        r.add(key, [], `expected a certificate of an account in aws:allowedAccountIds (a load balancer uses certificates of its own account), got ${hidden ? "another account (hidden)" : `account ${account}`}`);
    }
    if (aws.forbiddenAccountIds?.includes(account)) {
        r.add(key, [], `expected a certificate of an account not in aws:forbiddenAccountIds, got ${hidden ? "a forbidden account (hidden)" : `account ${account}`}`);
    }
}


export function tags(r: Reporter, { c, settings, aws }: RuleInput): void {
    const key = P("tags");
    // Keys are checked even when a value beside them is refused.
    const user = c.tags !== undefined ? Object.keys(c.tags) : objectKeys(settings.tags).filter((k) => k !== "" && !/^aws:/i.test(k));
    const defaults = Object.keys(aws.defaultTags ?? {});
    const program = new Map(programTagKeys.map((k) => [k.toLowerCase(), k]));
    const sources: { top: string; path: (k: string) => Path; keys: string[] }[] = [
        { top: key, path: (k) => [k], keys: user },
        { top: "aws:defaultTags", path: (k) => ["tags", k], keys: defaults },
    ];
    for (const { top, path, keys } of sources) {
        for (const k of keys) {
            const own = program.get(k.toLowerCase());
            if (own !== undefined) {
                r.add(top, path(k), `expected a key other than ${programTagKeys.join(", ")}, which the program sets itself, got ${JSON.stringify(k)}${own !== k ? ` (it differs from ${own} only in letter case, and IAM treats tag keys case-insensitively)` : ""}`);
            }
        }
    }
    // IAM (and so the roles this stack tags) treats tag keys case-insensitively.
    const seen = new Map<string, string>();
    for (const { top, path, keys } of sources) {
        for (const k of keys) {
            const other = seen.get(k.toLowerCase());
            if (other !== undefined && other !== k) r.add(top, path(k), `expected tag keys that differ in more than letter case (IAM treats ${JSON.stringify(other)} and ${JSON.stringify(k)} as one key), got both`);
            if (other === undefined) seen.set(k.toLowerCase(), k);
        }
    }
    const count = seen.size;
    const room = maxTagsPerResource - maxProgramTagsPerResource;
    if (count > room) {
        const fromDefaults = defaults.filter((k) => !user.some((u) => u.toLowerCase() === k.toLowerCase())).length;
        r.add(key, [], `expected at most ${room} tags: AWS allows ${maxTagsPerResource} per resource and the program adds up to ${maxProgramTagsPerResource} (app, stack, managed-by everywhere; release and process on task definitions; Name and tier on subnets), got ${count}${fromDefaults > 0 ? ` (${fromDefaults} of them from aws:defaultTags)` : ""}`);
    }
}
