import type { AwsSettings } from "./engine";
import type { ParsedConfig, SchemaKey } from "./schema";

/** What every cross-field rule reads. */
export interface RuleInput {
    /** The top-level keys that parsed. */
    c: Partial<ParsedConfig>;
    /** Every top-level key as decoded, parsed or not. */
    settings: Partial<Record<SchemaKey, unknown>>;
    stack: string;
    aws: AwsSettings;
}
