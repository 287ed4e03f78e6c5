import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface DomainArgs {
    /** The app's name and the public hosted zone that holds it (checked before declaring). */
    settings: { name: string; hostedZoneId: string };
    tags: Record<string, string>;
}

/**
 * The app's own name: an ACM certificate for it in the stack's region (the load balancer's),
 * validated through a DNS record in the hosted zone. `certificateArn` resolves only once ACM
 * has issued the certificate, so the HTTPS listener that uses it waits for the validation.
 */
export class Domain extends pulumi.ComponentResource {
    /** The certificate's ARN, known once it is issued. */
    public readonly certificateArn: pulumi.Output<string>;
    public readonly name: string;
    public readonly hostedZoneId: string;

    constructor(name: string, args: DomainArgs, opts?: pulumi.ComponentResourceOptions) {
        super("twelve-factor:domain:Domain", name, {}, opts);
        const parent = this;
        const { settings, tags } = args;
        this.name = settings.name;
        this.hostedZoneId = settings.hostedZoneId;

        const certificate = new aws.acm.Certificate(`${name}-cert`, {
            domainName: settings.name,
            validationMethod: "DNS",
            tags,
        }, { parent });
        // One name, one validation option: its CNAME in the zone proves control of the name.
        const option = certificate.domainValidationOptions.apply((options) => options[0]);
        const record = new aws.route53.Record(`${name}-validation`, {
            zoneId: settings.hostedZoneId,
            name: option.resourceRecordName,
            type: option.resourceRecordType,
            records: [option.resourceRecordValue],
            ttl: 300,
            // A record left by an earlier certificate for the same name (the token is per name and account) is taken over.
            allowOverwrite: true,
        }, { parent });
        const validation = new aws.acm.CertificateValidation(`${name}-validated`, {
            certificateArn: certificate.arn,
            validationRecordFqdns: [record.fqdn],
        }, { parent });

        this.certificateArn = validation.certificateArn;
        this.registerOutputs({ certificateArn: this.certificateArn });
    }
}
