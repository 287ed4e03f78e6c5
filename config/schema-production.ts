import { z } from "zod";
import { scheduleExpressionProblem } from "../lib/schedule";

/**
 * The production-default settings of the one schema (./schema.ts): domain and TLS, the load
 * balancer, alarms and exec (top-level keys), and scaling, schedules and capacity (per
 * process). Per-field limits here; rules that span fields are in ./rules-production.ts.
 */

/** A DNS name ACM can issue for: labels of letters, digits and inner hyphens, at most 253 characters. */
export const dnsName = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/;

export const domainSchema = z.strictObject({
    /** The name the app is served at, e.g. shop.example.com (lowercase; no wildcard). */
    name: z.string().regex(dnsName, "expected a lowercase DNS name such as shop.example.com (letters, digits and hyphens, dot-separated, no trailing dot or wildcard)"),
    /** The public Route 53 hosted zone that holds the name (validation records and the alias go there). */
    hostedZoneId: z.string().regex(/^Z[A-Z0-9]{1,31}$/, "expected a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ"),
});

const accessLogsSchema = z.strictObject({
    /** Days the access logs are kept in their bucket before S3 deletes them. @default 90 */
    retentionDays: z.number().int().min(1).max(3650).default(90),
});

export const loadBalancerSchema = z.strictObject({
    /** AWS deletion protection and Pulumi `protect`: `pulumi destroy` refuses before deleting anything. @default false */
    deletionProtection: z.boolean().default(false),
    /** Access logs to an S3 bucket the stack owns; absent: no access logs. */
    accessLogs: accessLogsSchema.optional(),
});

export const alarmsSchema = z.strictObject({
    /** Where the alarm topic sends mail (the recipient confirms the subscription once). */
    email: z.string().max(254, "expected an email address of at most 254 characters")
        .regex(/^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/, "expected an email address such as oncall@example.com")
        .optional(),
});

export const scalingSchema = z.strictObject({
    /** Fewest tasks Application Auto Scaling keeps. */
    min: z.number().int().min(1).max(100),
    /** Most tasks it starts. */
    max: z.number().int().min(1).max(100),
    /** Average CPU (percent) the service tracks. @default 70 when requestsPerTarget is not set */
    cpuPercent: z.number().int().min(10).max(90).optional(),
    /** Requests per task per minute the web service tracks (web only). */
    requestsPerTarget: z.number().int().min(1).max(1_000_000).optional(),
});

/** An EventBridge Scheduler expression: cron(…) or rate(…). */
export const scheduleSchema = z.string().superRefine((value, ctx) => {
    const problem = scheduleExpressionProblem(value);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
});

/** Fargate, or Fargate Spot (interruptible with two minutes' notice, about 70 % cheaper). */
export const capacitySchema = z.enum(["fargate", "spot"]).default("fargate");
