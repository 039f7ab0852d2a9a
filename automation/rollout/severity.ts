/**
 * The runbook's severity bands on the gate's verdicts (pure): read on the candidate's always-valid lower bound of
 * its error rate, never on the raw rate (docs/gates.md, "Severity bands").
 */
import type { GateNumbers, GateResult, SeverityBand } from "./verdict";
import { MIN_ERRORS_TO_FAIL } from "./errorTests";

export type { SeverityBand };

/** The default bands (the runbook's): `gates.severity` in the stack's config overrides them. */
export const DEFAULT_SEVERITY = { rollbackAtPercent: 1, incidentAtPercent: 5 } as const;

/** The band of one function's numbers (pure). A total failure (every call failed, at least 3) is an incident whatever the bound. */
export function severityBand(
    n: GateNumbers,
    bands: { rollbackAtPercent: number; incidentAtPercent: number } = DEFAULT_SEVERITY,
): SeverityBand {
    const totalFailure = n.candidateInvocations >= MIN_ERRORS_TO_FAIL && n.candidateErrors === n.candidateInvocations;
    if (totalFailure || n.candidateErrorRateLowerPercent > bands.incidentAtPercent) return "incident";
    if (n.candidateErrorRateLowerPercent >= bands.rollbackAtPercent) return "rollback";
    return "monitor";
}

/**
 * A verdict that did not fail but is marginal (pure): the candidate's errors are certain to be there (its
 * always-valid lower bound is above 0) and its rate is above stable's. Such a verdict carries its band.
 */
export function isMarginal(n: GateNumbers): boolean {
    return n.candidateErrorRateLowerPercent > 0 && n.candidateErrorRatePercent > n.stableErrorRatePercent;
}

const BAND_ORDER: SeverityBand[] = ["monitor", "rollback", "incident"];

/**
 * The result with its band (pure). A failed verdict carries the deciding function's band (a band never turns a
 * failure into a pass). A verdict that has not failed but is marginal carries the worst marginal function's
 * band, and in the `rollback` or `incident` band it fails, as the runbook says: the bound shows the candidate
 * failing at least that share of its calls.
 */
export function withSeverity(result: GateResult, bands: { rollbackAtPercent: number; incidentAtPercent: number }): GateResult {
    if (result.verdict === "failed") {
        const n = result.function ? result.numbers[result.function] : undefined;
        return n ? { ...result, severity: severityBand(n, bands) } : result;
    }
    const marginal = Object.entries(result.numbers)
        .filter(([, n]) => isMarginal(n))
        .map(([fn, n]) => ({ fn, n, band: severityBand(n, bands) }))
        .sort((a, b) => BAND_ORDER.indexOf(b.band) - BAND_ORDER.indexOf(a.band));
    if (marginal.length === 0) return result;
    const top = marginal[0];
    if (top.band === "monitor") return { ...result, severity: "monitor" };
    const from = top.band === "incident" ? `above ${bands.incidentAtPercent}%` : `${bands.rollbackAtPercent}% or more`;
    return {
        ...result,
        verdict: "failed",
        cause: "severity",
        function: top.fn,
        severity: top.band,
        reason:
            `${top.fn}: candidate error rate ${top.n.candidateErrorRatePercent}% (${top.n.candidateErrors}/${top.n.candidateInvocations}), ` +
            `at least ${top.n.candidateErrorRateLowerPercent}% on its always-valid bound: ${top.band} band (${from}), above stable's ${top.n.stableErrorRatePercent}%`,
    };
}
