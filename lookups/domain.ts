import * as aws from "@pulumi/aws";

/** The app's domain as config names it. */
export interface DomainSettings {
    name: string;
    hostedZoneId: string;
}

/**
 * Looks the hosted zone up before declaring anything: it must be public (ACM validates, and
 * visitors resolve, through public DNS) and hold the name (the validation record and the alias
 * are written there).
 */
export async function checkHostedZone(domain: DomainSettings): Promise<void> {
    let zone: { name: string; privateZone?: boolean };
    try {
        zone = await aws.route53.getZone({ zoneId: domain.hostedZoneId });
    } catch (e) {
        const detail = e instanceof Error && e.message !== "" ? `: ${e.message}` : "";
        throw new Error(`twelve-factor:domain.hostedZoneId: expected a hosted zone this account can read, got ${domain.hostedZoneId}, which Route 53 did not return${detail}`);
    }
    checkZoneHoldsName(domain, { name: zone.name, privateZone: zone.privateZone === true });
}

export function checkZoneHoldsName(domain: DomainSettings, zone: { name: string; privateZone: boolean }): void {
    const zoneName = zone.name.replace(/\.$/, "").toLowerCase();
    if (zone.privateZone) throw new Error(`twelve-factor:domain.hostedZoneId: expected a public hosted zone (ACM validates and visitors resolve through public DNS), got the private zone ${zoneName}`);
    if (domain.name !== zoneName && !domain.name.endsWith(`.${zoneName}`)) {
        throw new Error(`twelve-factor:domain.name: expected a name in the hosted zone's domain ${zoneName} (domain.hostedZoneId), got ${domain.name}`);
    }
}
