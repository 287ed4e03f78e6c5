import { EnforcementError, settingsFor } from "./enforcement";
import { policies } from "./rules";

/**
 * `npm run -s policy -- --stack <name>`: prints the stack's policy settings (./enforcement.yaml)
 * as the JSON file `pulumi preview --policy-pack policy --policy-pack-config <file>` takes.
 * Exit 0, or 2 on a usage error or an invalid enforcement file.
 */
const args = process.argv.slice(2);
const at = args.indexOf("--stack");
const stack = at >= 0 ? args[at + 1] : undefined;
if (stack === undefined || stack.startsWith("-") || args.length !== 2) {
    console.error("usage: npm run -s policy -- --stack <name>   (prints the --policy-pack-config file for that stack)");
    process.exit(2);
}
try {
    console.log(JSON.stringify(settingsFor(policies.map((p) => p.name), stack), null, 2));
} catch (e) {
    if (!(e instanceof EnforcementError)) throw e;
    console.error(`policy: ${e.message}`);
    process.exit(2);
}
