/**
 * Statistics the bench needs and the rollout does not: the reference line of the gate benchmark is Wald's
 * expected sample size (docs/gates.md).
 */

/** Kullback-Leibler divergence of Bernoulli(p1) from Bernoulli(p0), nats per trial. */
export function bernoulliKl(p1: number, p0: number): number {
    const term = (a: number, b: number) => (a === 0 ? 0 : a * Math.log(a / b));
    return term(p1, p0) + term(1 - p1, 1 - p0);
}

/**
 * Wald's approximation of the expected sample size of the SPRT of p0 against p1 when p1 is true, at type I
 * error alpha and type II error beta: the fewest trials, on average, any sequential test with those errors
 * needs (Wald-Wolfowitz optimality). Infinity when the rates are equal.
 */
export function waldExpectedSampleSize(p0: number, p1: number, alpha: number, beta: number): number {
    const kl = bernoulliKl(p1, p0);
    if (!(kl > 0)) return Infinity;
    const a = Math.log((1 - beta) / alpha);
    const b = Math.log(beta / (1 - alpha));
    return ((1 - beta) * a + beta * b) / kl;
}
