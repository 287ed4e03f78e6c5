import { AwsError, epochSeconds, type FakeAws } from "./server";

export interface StoredParameter {
    Name: string;
    Type: "String" | "SecureString" | "StringList";
    Value: string;
    Tier: "Standard" | "Advanced";
    Version: number;
    LastModifiedDate: Date;
    LastModifiedUser: string;
}

const limits = { byPath: 10, describe: 50, names: 10 };

/** SSM Parameter Store as the commands use it. SecureString values are never returned in clear without WithDecryption. */
export class SsmFake {
    readonly parameters = new Map<string, StoredParameter>();
    /** Requests that asked for decryption (the commands must make none). */
    decryptingCalls = 0;

    constructor(private readonly aws: FakeAws) {}

    put(name: string, value: string, options: Partial<Omit<StoredParameter, "Name" | "Value">> = {}): void {
        const before = this.parameters.get(name);
        this.parameters.set(name, {
            Name: name, Value: value, Type: options.Type ?? "String", Tier: options.Tier ?? "Standard", Version: (before?.Version ?? 0) + 1,
            LastModifiedDate: options.LastModifiedDate ?? new Date(), LastModifiedUser: options.LastModifiedUser ?? "arn:aws:sts::123456789012:assumed-role/deploy/ci",
        });
    }

    names(prefix = ""): string[] {
        return [...this.parameters.keys()].filter((n) => n.startsWith(prefix)).sort();
    }

    private shown(p: StoredParameter, decrypt: boolean) {
        const value = p.Type === "SecureString" && !decrypt ? `AQICAHencrypted${Buffer.from(p.Name).toString("base64")}` : p.Value;
        return { Name: p.Name, Type: p.Type, Value: value, Version: p.Version, LastModifiedDate: epochSeconds(p.LastModifiedDate), ARN: `arn:aws:ssm:eu-west-1:123456789012:parameter${p.Name}`, DataType: "text" };
    }

    private decrypt(input: Record<string, any>): boolean {
        if (input.WithDecryption === true) this.decryptingCalls++;
        return input.WithDecryption === true;
    }

    GetParametersByPath(input: Record<string, any>) {
        const path = String(input.Path ?? "");
        if (!path.startsWith("/")) throw new AwsError("ValidationException", "The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward slash \"/\".");
        const base = path.endsWith("/") ? path : `${path}/`;
        const matching = this.names(base).filter((n) => input.Recursive === true || !n.slice(base.length).includes("/"));
        const page = this.aws.page(matching, input, limits.byPath);
        const decrypt = this.decrypt(input);
        return { Parameters: page.items.map((n) => this.shown(this.parameters.get(n)!, decrypt)), NextToken: page.token };
    }

    GetParameter(input: Record<string, any>) {
        const p = this.parameters.get(String(input.Name));
        if (p === undefined) throw new AwsError("ParameterNotFound", "");
        return { Parameter: this.shown(p, this.decrypt(input)) };
    }

    GetParameters(input: Record<string, any>) {
        const names = (input.Names ?? []) as string[];
        if (names.length < 1 || names.length > limits.names) throw new AwsError("ValidationException", `1 validation error detected: Value '[${names.join(", ")}]' at 'names' failed to satisfy constraint: Member must have length less than or equal to ${limits.names}`);
        const decrypt = this.decrypt(input);
        return { Parameters: names.filter((n) => this.parameters.has(n)).map((n) => this.shown(this.parameters.get(n)!, decrypt)), InvalidParameters: names.filter((n) => !this.parameters.has(n)) };
    }

    DescribeParameters(input: Record<string, any>) {
        let names = this.names();
        for (const f of (input.ParameterFilters ?? []) as { Key: string; Option?: string; Values?: string[] }[]) {
            const values = f.Values ?? [];
            if (f.Key === "Path") {
                const base = values[0].endsWith("/") ? values[0] : `${values[0]}/`;
                names = names.filter((n) => n.startsWith(base) && (f.Option === "Recursive" || !n.slice(base.length).includes("/")));
            } else if (f.Key === "Tier") names = names.filter((n) => values.includes(this.parameters.get(n)!.Tier));
            else if (f.Key === "Type") names = names.filter((n) => values.includes(this.parameters.get(n)!.Type));
            else if (f.Key === "Name") names = names.filter((n) => values.some((v) => (f.Option === "BeginsWith" ? n.startsWith(v) : n === v)));
            else throw new AwsError("InvalidFilterKey", `The fake does not implement filter key ${f.Key}`);
        }
        const page = this.aws.page(names, input, limits.describe);
        return {
            Parameters: page.items.map((n) => {
                const p = this.parameters.get(n)!;
                return { Name: p.Name, Type: p.Type, Tier: p.Tier, Version: p.Version, LastModifiedDate: epochSeconds(p.LastModifiedDate), LastModifiedUser: p.LastModifiedUser, DataType: "text" };
            }),
            NextToken: page.token,
        };
    }

    DeleteParameters(input: Record<string, any>) {
        const names = (input.Names ?? []) as string[];
        if (names.length < 1 || names.length > limits.names) throw new AwsError("ValidationException", `1 validation error detected: Value '[${names.join(", ")}]' at 'names' failed to satisfy constraint: Member must have length less than or equal to ${limits.names}`);
        const deleted = names.filter((n) => this.parameters.delete(n));
        return { DeletedParameters: deleted, InvalidParameters: names.filter((n) => !deleted.includes(n)) };
    }

    DeleteParameter(input: Record<string, any>) {
        if (!this.parameters.delete(String(input.Name))) throw new AwsError("ParameterNotFound", "");
        return {};
    }
}
