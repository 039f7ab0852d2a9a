import mt19937 from "@stdlib/random-base-mt19937";
import poissonFactory from "@stdlib/random-base-poisson";
import lognormalFactory from "@stdlib/random-base-lognormal";
import binomialFactory from "@stdlib/random-base-binomial";

/**
 * The simulator's only source of randomness: one Mersenne Twister seeded from the scenario, shared by
 * every distribution, so that the same seed and the same sequence of calls replay the same rehearsal.
 */
export interface Random {
    /** Uniform on [0, 1). */
    uniform(): number;
    /** Number of events of a Poisson process with mean `mean` (0 when `mean` is 0). */
    poisson(mean: number): number;
    /** Number of successes in `n` trials of probability `p` (short-circuits the degenerate cases). */
    binomial(n: number, p: number): number;
    /** One draw from a log-normal with parameters `mu`, `sigma` (exp(mu) when sigma is 0). */
    lognormal(mu: number, sigma: number): number;
}

/**
 * Creates the seeded generator set; see {@link Random}. `stream` (a uint32, not 0) gives another generator
 * for the same seed, independent of the main one (seeded with [seed, stream]): draws that must not shift the
 * main sequence (the backfilled history, a bench's own coin flips) take their own stream.
 */
export function createRandom(seed: number, stream?: number): Random {
    const seeding = stream === undefined ? seed : Uint32Array.of(seed >>> 0, stream >>> 0);
    // mt19937 yields uint32s; the distributions need its [0, 1) view, which the types do not declare.
    const generator = mt19937.factory({ seed: seeding }) as unknown as { normalized: () => number };
    const uniform = generator.normalized;
    const poisson = poissonFactory.factory({ prng: uniform });
    const binomial = binomialFactory.factory({ prng: uniform });
    const lognormal = lognormalFactory.factory({ prng: uniform });
    return {
        uniform: () => uniform(),
        poisson: (mean) => (mean <= 0 ? 0 : poisson(mean)),
        binomial: (n, p) => (n <= 0 || p <= 0 ? 0 : p >= 1 ? n : binomial(n, p)),
        lognormal: (mu, sigma) => (sigma <= 0 ? Math.exp(mu) : lognormal(mu, sigma)),
    };
}
