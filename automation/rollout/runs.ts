/**
 * The runs of one rollout as one report (pure): a promote that died (killed, a second signal) and the promote run
 * again that took over, in a rehearsal or a release through waves; each record at the minute it truly happened
 * (each run's minutes count from its own start).
 */
import type { RolloutReport, StepRecord } from "./report";
import { resumedSeries, type RolloutSeries } from "./series";

/** One process's part of the rollout. */
export interface RunPart {
    readonly report: RolloutReport;
    /** When the process started, in rehearsal minutes. */
    readonly startedAtMinute: number;
    /** When it died, and how (a kill, a second signal), if it did. */
    readonly died?: { readonly atMinute: number; readonly how: string; readonly weight: number };
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/**
 * The processes' reports as one (pure): steps, operator actions, hooks and warnings of every run in order, each
 * at its true minute; a run that died adds an `interrupted` step from its last step's end to its death; the
 * outcome, the functions and what came at the end are the last run's; the decision is the first run's that
 * decided.
 */
export function mergeRuns(parts: readonly RunPart[]): RolloutReport {
    const last = parts.at(-1)!;
    const shift = (part: RunPart) => (m: number) => round1(m + part.startedAtMinute);
    const steps: StepRecord[] = [];
    for (const part of parts) {
        const at = shift(part);
        steps.push(...part.report.steps.map((s) => ({ ...s, startedAtMinute: at(s.startedAtMinute), endedAtMinute: at(s.endedAtMinute) })));
        if (part.died) {
            steps.push({
                weight: part.died.weight,
                startedAtMinute: steps.at(-1)?.endedAtMinute ?? part.startedAtMinute,
                endedAtMinute: part.died.atMinute,
                verdict: "interrupted",
                reason: `promote ${part.died.how} at minute ${part.died.atMinute}; a promote run again took over`,
            });
        }
    }
    const decided = parts.find((p) => p.report.decisionAtMinute !== null);
    const stable = parts.find((p) => p.report.stableAtMinute !== undefined);
    const incident = parts.find((p) => p.report.incident !== undefined);
    const interrupt = parts.find((p) => p.report.interrupt !== undefined)?.report.interrupt;
    const operator = parts.flatMap((p) => (p.report.operator ?? []).map((o) => ({ ...o, atMinute: shift(p)(o.atMinute) })));
    const hooks = parts.flatMap((p) => (p.report.hooks ?? []).map((h) => ({ ...h, atMinute: shift(p)(h.atMinute) })));
    const warnings = [...new Set(parts.flatMap((p) => p.report.warnings ?? []))];
    const errors = parts.flatMap((p, i) => (p.report.error && (i === parts.length - 1 || p.died) ? [p.report.error] : []));
    // What each part's own promote sent and put once it ended (a release's stacks: wiring's delivery, per part).
    const sentBy = parts.filter((p) => p.report.notifications !== undefined);
    const putBy = parts.filter((p) => p.report.metricsPut !== undefined);
    const { waitingForApproval } = last.report;
    // The charts' series and their minute 0 are the first run's (automation/rollout/series.ts).
    const series =
        parts.length === 1
            ? last.report.series
            : parts.reduce<RolloutSeries | undefined>((into, p) => resumedSeries(into, p.report.series, p.startedAtMinute), undefined);
    const startedAt = parts.find((p) => p.report.startedAt)?.report.startedAt;
    return {
        ...last.report,
        ...(startedAt ? { startedAt } : {}),
        ...(series ? { series } : {}),
        steps,
        decisionAtMinute: decided ? shift(decided)(decided.report.decisionAtMinute!) : null,
        durationMinutes: shift(last)(last.report.durationMinutes),
        ...(stable ? { stableAtMinute: shift(stable)(stable.report.stableAtMinute!) } : {}),
        ...(incident ? { incident: { ...incident.report.incident!, atMinute: shift(incident)(incident.report.incident!.atMinute) } } : {}),
        ...(interrupt ? { interrupt } : {}),
        ...(operator.length > 0 ? { operator } : {}),
        ...(hooks.length > 0 ? { hooks } : {}),
        ...(warnings.length > 0 ? { warnings } : {}),
        ...(errors.length > 0 ? { error: [...new Set(errors)].join("; ") } : {}),
        ...(sentBy.length > 0 ? { notifications: sentBy.flatMap((p) => p.report.notifications!) } : {}),
        ...(putBy.length > 0 ? { metricsPut: [...new Set(putBy.flatMap((p) => p.report.metricsPut!))] } : {}),
        ...(waitingForApproval
            ? { waitingForApproval: { ...waitingForApproval, sinceMinute: shift(last)(waitingForApproval.sinceMinute) } }
            : {}),
    };
}
