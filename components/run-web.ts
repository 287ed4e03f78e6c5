import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { tlsPolicy } from "../lib/load-balancer";
import { childSuffixes } from "../lib/naming";
import type { ProcessSpec } from "../lib/process";
import type { Network } from "./network";

/**
 * The web entry of the Run component: load balancer, target group, listeners, their
 * security-group rules and, with a domain, the alias record. Part of Run, not a component of
 * its own: everything here is a child of Run, named as before the split, so no resource moves.
 */

export interface LoadBalancerSettings {
    /** AWS deletion protection and Pulumi `protect`: a destroy refuses before deleting anything. */
    deletionProtection: boolean;
    /** The stack's access-log bucket: the load balancer waits for its policy (ELB checks it when logging is turned on). */
    accessLogs?: { bucket: pulumi.Input<string>; prefix: string; ready: pulumi.Resource[] };
}

export interface WebEntryArgs {
    /** Run's name, `<app>-<stack>`. */
    name: string;
    parent: pulumi.Resource;
    network: Network;
    web: ProcessSpec;
    /** HTTPS with this certificate (validated first when the stack owns it); HTTP then redirects. */
    certificateArn?: pulumi.Input<string>;
    /** The app's own name: an alias record to the load balancer, and the URL. */
    domain?: { name: string; hostedZoneId: string };
    loadBalancer: LoadBalancerSettings;
    tags: Record<string, string>;
}

export function createWebEntry(args: WebEntryArgs) {
    const { name, parent, network, web: webSpec, loadBalancer: lb } = args;
    const webPort = webSpec.port as number;
    const https = args.certificateArn !== undefined;
    const listenerPorts = https ? [80, 443] : [80];
    const rules: pulumi.Resource[] = [];
    for (const port of listenerPorts) {
        rules.push(new aws.vpc.SecurityGroupIngressRule(`${name}-alb-in-${port}`, {
            securityGroupId: network.albSecurityGroupId,
            ipProtocol: "tcp",
            fromPort: port,
            toPort: port,
            cidrIpv4: "0.0.0.0/0",
            description: `HTTP${port === 443 ? "S" : ""} from the internet`,
        }, { parent }));
    }
    rules.push(new aws.vpc.SecurityGroupEgressRule(`${name}-alb-to-web`, {
        securityGroupId: network.albSecurityGroupId,
        referencedSecurityGroupId: network.tasksSecurityGroupId,
        ipProtocol: "tcp",
        fromPort: webPort,
        toPort: webPort,
        description: "Web tasks only",
    }, { parent }));
    rules.push(new aws.vpc.SecurityGroupIngressRule(`${name}-web-from-alb`, {
        securityGroupId: network.tasksSecurityGroupId,
        referencedSecurityGroupId: network.albSecurityGroupId,
        ipProtocol: "tcp",
        fromPort: webPort,
        toPort: webPort,
        description: "From the load balancer only",
    }, { parent }));

    const alb = new aws.lb.LoadBalancer(`${name}${childSuffixes.loadBalancer}`, {
        loadBalancerType: "application",
        internal: false,
        securityGroups: [network.albSecurityGroupId],
        subnets: network.publicSubnetIds,
        dropInvalidHeaderFields: true,
        enableDeletionProtection: lb.deletionProtection,
        ...(lb.accessLogs === undefined ? {} : { accessLogs: { bucket: lb.accessLogs.bucket, prefix: lb.accessLogs.prefix, enabled: true } }),
        tags: args.tags,
    }, {
        parent,
        dependsOn: lb.accessLogs?.ready ?? [],
        // `pulumi destroy` runs no program code: only this option makes it refuse up front. The
        // AWS flag alone would let it delete the services and listeners, then fail at the load balancer.
        protect: lb.deletionProtection,
    });
    const targetGroup = new aws.lb.TargetGroup(`${name}${childSuffixes.targetGroup}`, {
        vpcId: network.vpcId,
        targetType: "ip",
        protocol: "HTTP",
        port: webPort,
        // Tasks drain quickly (the app finishes in-flight requests on SIGTERM).
        deregistrationDelay: 30,
        healthCheck: {
            path: webSpec.healthCheckPath,
            matcher: "200",
            interval: 15,
            timeout: 5,
            healthyThreshold: 2,
            unhealthyThreshold: 3,
        },
        tags: args.tags,
    }, { parent });
    const forward = [{ type: "forward", targetGroupArn: targetGroup.arn }];
    const listeners = [new aws.lb.Listener(`${name}-http`, {
        loadBalancerArn: alb.arn,
        port: 80,
        protocol: "HTTP",
        defaultActions: https
            ? [{ type: "redirect", redirect: { port: "443", protocol: "HTTPS", statusCode: "HTTP_301" } }]
            : forward,
        tags: args.tags,
    }, { parent })];
    if (https) {
        listeners.push(new aws.lb.Listener(`${name}-https`, {
            loadBalancerArn: alb.arn,
            port: 443,
            protocol: "HTTPS",
            certificateArn: args.certificateArn,
            sslPolicy: tlsPolicy,
            defaultActions: forward,
            tags: args.tags,
        }, { parent }));
    }
    const alias = args.domain && new aws.route53.Record(`${name}-alias`, {
        zoneId: args.domain.hostedZoneId,
        name: args.domain.name,
        type: "A",
        aliases: [{ name: alb.dnsName, zoneId: alb.zoneId, evaluateTargetHealth: true }],
    }, { parent });
    return {
        loadBalancer: alb,
        targetGroup,
        listeners,
        rules,
        url: alias ? pulumi.interpolate`https://${alias.name}` : pulumi.interpolate`${https ? "https" : "http"}://${alb.dnsName}`,
    };
}
