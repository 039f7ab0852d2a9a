/**
 * Sequential statistics for the health gate: tests that stay valid however often the gate looks.
 *
 * A fixed-sample test (a z bound, Wilson, Agresti-Caffo) read every minute is a new test every minute, and the
 * chance that one of them fires on noise grows with the number of looks. A likelihood ratio against the null
 * is a (super)martingale under the null, so by Ville's inequality the chance that it EVER reaches 1/alpha is
 * at most alpha, at whatever times it is read (Wald 1945; Robbins 1970; Howard et al. 2021). The gate uses:
 *
 * - a mixture SPRT for one version's error count: the likelihood ratio of "the rate's odds are r times the
 *   null's" against the null, averaged over a fixed grid of r ({@link ODDS_RATIOS}, equal weights). Each
 *   component is Wald's SPRT; the mixture adapts to the size of the regression at a cost of at most
 *   ln(grid size) nats over the SPRT that knew it;
 * - an always-valid lower confidence bound (a confidence sequence), the inversion of that test: the largest
 *   null rate the mixture rejects. With odds-ratio alternatives the ratio is monotone in the null rate, so the
 *   bound is a bisection.
 *
 * Pure functions, no state: the evidence is the cumulative count over the step's window at each poll.
 *
 * Comparing the candidate with stable: a conditional test of the two versions in the same minutes (every
 * minute, always valid) and an exact conditional test of pooled counts, stable's history before the rollout
 * included, at the end of each step (a fixed look, with its own share of the budget). See docs/gates.md.
 */
import binomialCdf from "@stdlib/stats-base-dists-binomial-cdf";
import gammaln from "@stdlib/math-base-special-gammaln";

/**
 * The alternatives of the mixture: odds ratios over the null rate. From a 1.5x regression (the smallest worth
 * a rollback) to 30x (a broken release: three errors decide). Equal weights.
 */
export const ODDS_RATIOS: readonly number[] = [1.5, 2, 3, 5, 10, 30];

/**
 * ln of one component's likelihood ratio: `errors` of `n` Bernoulli trials, rate p1 with odds r * odds(p0)
 * against rate p0. With p1 = r p0 / (1 - p0 + r p0) it reduces to r^errors / (1 + (r - 1) p0)^n.
 */
export function logLikelihoodRatio(errors: number, n: number, p0: number, r: number): number {
    return errors * Math.log(r) - n * Math.log1p((r - 1) * p0);
}

function logMeanExp(terms: number[]): number {
    const max = Math.max(...terms);
    if (max === -Infinity) return -Infinity;
    return max + Math.log(terms.reduce((sum, t) => sum + Math.exp(t - max), 0) / terms.length);
}

/**
 * ln of the mixture likelihood ratio for "the rate is above p0" (odds ratios above 1). A supermartingale under
 * every rate at or below p0.
 */
export function logMixtureRatio(errors: number, n: number, p0: number, ratios: readonly number[] = ODDS_RATIOS): number {
    if (n === 0) return 0;
    if (p0 <= 0) return errors > 0 ? Infinity : 0;
    return logMeanExp(ratios.map((r) => logLikelihoodRatio(errors, n, p0, r)));
}

/** The boundary of a test at level alpha: reject once the ln likelihood ratio reaches ln(1/alpha). */
export function boundary(alpha: number): number {
    return Math.log(1 / alpha);
}

const BISECTIONS = 60;

/**
 * Always-valid lower confidence bound of a rate at level 1 - alpha: the largest null rate the mixture test
 * rejects ("the rate is above it"). 0 while the evidence rejects no rate: a handful of errors can never
 * rule out a rate near 0 against alternatives at most 30 times its odds.
 */
export function lowerConfidenceBound(errors: number, n: number, alpha: number): number {
    if (n === 0 || errors === 0) return 0;
    const threshold = boundary(alpha);
    const p = errors / n;
    // The ratio decreases in p0; at p0 = p (the maximum likelihood) no component exceeds 1.
    if (logMixtureRatio(errors, n, 1e-12) < threshold) return 0;
    let lo = 1e-12;
    let hi = p;
    for (let i = 0; i < BISECTIONS; i++) {
        const mid = Math.sqrt(lo * hi);
        if (logMixtureRatio(errors, n, mid) >= threshold) lo = mid;
        else hi = mid;
    }
    return lo;
}

/** One minute of both versions' traffic through the alias. */
export interface MinuteCounts {
    readonly candidateInvocations: number;
    readonly candidateErrors: number;
    readonly stableInvocations: number;
    readonly stableErrors: number;
}

/**
 * ln of the mixture likelihood ratio for "the candidate's error rate is `rho` times stable's, rho > 1" against
 * "no higher than stable's", from minutes in which both versions served traffic. Within a minute, given how
 * many errors the two versions made together, each error is the candidate's with probability
 * n_c / (n_c + n_s) when the rates are equal and rho n_c / (rho n_c + n_s) under the alternative (the
 * conditional test of two Poisson counts: stable's unknown rate cancels out, and so does anything that moves
 * both versions' rates in the same minute). The product over minutes is a supermartingale under the null,
 * whatever stable's rate, so it may be read every minute (Ville). Averaged over `ratios` with equal weights.
 */
export function logConditionalMixtureRatio(minutes: readonly MinuteCounts[], ratios: readonly number[]): number {
    const sums = ratios.map(() => 0);
    for (const m of minutes) {
        const { candidateInvocations: nc, stableInvocations: ns, candidateErrors: ec, stableErrors: es } = m;
        if (nc <= 0 || ns <= 0 || ec + es === 0) continue;
        const pi0 = nc / (nc + ns);
        ratios.forEach((rho, i) => {
            const pi1 = (rho * nc) / (rho * nc + ns);
            sums[i] += ec * Math.log(pi1 / pi0) + es * Math.log((1 - pi1) / (1 - pi0));
        });
    }
    return minutes.length === 0 ? 0 : logMeanExp(sums);
}

/**
 * One-sided p-value of "the candidate's error rate is no higher than stable's", from pooled counts: given
 * the errors of both, the candidate's share is Binomial(total errors, n_c / (n_c + n_s)) under the null (the
 * exact conditional test of two Poisson rates). A fixed-sample test: valid for one look at a time fixed in
 * advance (the end of a step), not for reading every minute. 1 without errors or without stable evidence.
 */
export function excessErrorsPValue(
    candidateErrors: number,
    candidateInvocations: number,
    stableErrors: number,
    stableInvocations: number,
): number {
    if (candidateErrors === 0 || candidateInvocations <= 0 || stableInvocations <= 0) return 1;
    const total = candidateErrors + stableErrors;
    const share = candidateInvocations / (candidateInvocations + stableInvocations);
    return 1 - binomialCdf(candidateErrors - 1, total, share);
}

/**
 * The two versions' error counts as the history e-processes read them: stable's exposure and errors with its
 * history before the rollout as the first block (`gates.baseline`), the candidate's since the rollout began.
 * Counts are invocations (exposure) and errors; errors are modelled as Poisson in the invocations, as in the
 * same-minute test (error rates are small: the Poisson and the Binomial likelihoods agree).
 */
export interface PooledCounts {
    /** Stable's invocations: its history before the rollout (less `prior`) plus the rollout's minutes. */
    readonly stableInvocations: number;
    readonly stableErrors: number;
    readonly candidateInvocations: number;
    readonly candidateErrors: number;
    /**
     * The older half of stable's history, held out of the test and used only to centre its prior of stable's
     * rate (a split of the data: the e-process is valid given it). Without it, {@link STABLE_RATE_PRIOR} alone.
     */
    readonly prior?: { readonly invocations: number; readonly errors: number };
}

/**
 * The prior of stable's error rate in the history e-processes' numerators before any data, Gamma(shape, rate)
 * in errors per invocation: an exponential of mean 1%. What a prior costs against knowing stable's rate is the
 * mixture's Occam factor: about ln(sqrt(errors) / (100 x rate)) - 0.9 nats with this one alone (3 nats for an
 * hour of 2,000 requests a minute at 0.5%), about half of ln 2 once it is updated with the held-out older half
 * of the history ({@link PooledCounts.prior}), which is why the gate holds that half out.
 */
export const STABLE_RATE_PRIOR = { shape: 1, rate: 100 } as const;

/** ln of the Gamma-Poisson marginal of `errors` in `exposure` under the prior, without the factors every model shares. */
function logGammaMarginal(errors: number, exposure: number, prior?: PooledCounts["prior"]): number {
    const a = STABLE_RATE_PRIOR.shape + (prior?.errors ?? 0);
    const b = STABLE_RATE_PRIOR.rate + (prior?.invocations ?? 0);
    return gammaln(a + errors) - gammaln(a) + a * Math.log(b) - (a + errors) * Math.log(b + exposure);
}

/** x ln y with 0 ln 0 = 0. */
const xlny = (x: number, y: number) => (x === 0 ? 0 : x * Math.log(y));

/**
 * ln of the universal-inference e-process (Wasserman, Ramdas and Balakrishnan 2020) against "the candidate's
 * error rate is no higher than stable's", with stable's history as the first block (the two-Poisson-process
 * comparison of Lindon and Kallus 2024). Numerator: the marginal likelihood of all the counts when the
 * candidate's rate is rho times stable's, stable's rate integrated over {@link STABLE_RATE_PRIOR} and rho over
 * `ratios` with equal weights; denominator: the likelihood maximized over the null (rho <= 1, any stable rate).
 * Under any rates in the null, the numerator over the likelihood at the true rates is a test martingale (a
 * Bayes factor against a point), and the maximum is at least that likelihood, so by Ville's inequality the
 * process EVER reaches 1/alpha with probability at most alpha, read at any times. Unlike the same-minute test,
 * stable's rate is pinned by its hour before the rollout, so the candidate is judged nearly as against a known
 * rate; like the end-of-step look, it assumes stable's rate is the same in the history and in the rollout.
 */
export function logHistoryRatio(c: PooledCounts, ratios: readonly number[]): number {
    const { stableInvocations: S, stableErrors: A, candidateInvocations: C, candidateErrors: B } = c;
    if (C <= 0 || S <= 0) return 0;
    const total = A + B;
    const numerator = logMeanExp(ratios.map((rho) => B * Math.log(rho) + logGammaMarginal(total, S + rho * C, c.prior)));
    // The null's maximum: stable's rate at its profile, rho at the unconstrained estimate capped at 1.
    const rho = B === 0 ? 0 : A === 0 ? 1 : Math.min(1, (B / C) * (S / A));
    const denominator = xlny(B, rho) + xlny(total, total) - xlny(total, S + rho * C) - total;
    return numerator - denominator;
}

/**
 * ln of the universal-inference e-process against "the candidate's error rate is at least stable's plus
 * `increase` (a fraction)": the acceptance side. Numerator: the marginal likelihood when both versions share one
 * rate (integrated over {@link STABLE_RATE_PRIOR}), stable's history as the first block; denominator: the
 * likelihood maximized over the regressions at least that large. When it reaches 1/beta, the evidence excludes
 * the regression: a candidate that much worse gets there with probability at most beta, however often it is
 * read. What `advance: evidence` waits for.
 */
export function logAcceptanceRatio(c: PooledCounts, increase: number): number {
    const { stableInvocations: S, stableErrors: A, candidateInvocations: C, candidateErrors: B } = c;
    if (C <= 0 || S <= 0) return 0;
    const numerator = logGammaMarginal(A + B, S + C, c.prior);
    const logLik = (ls: number, lc: number) => xlny(A, ls) - S * ls + xlny(B, lc) - C * lc;
    let denominator: number;
    if (B / C >= A / S + increase) {
        denominator = logLik(A / S, B / C);
    } else {
        // On the boundary lc = ls + increase: A/ls + B/(ls + d) = S + C, the positive root of a quadratic.
        const n = S + C;
        const lin = n * increase - A - B;
        const ls = A > 0 ? (-lin + Math.sqrt(lin * lin + 4 * n * A * increase)) / (2 * n) : Math.max(0, -lin / n);
        denominator = logLik(ls, ls + increase);
    }
    return numerator - denominator;
}
