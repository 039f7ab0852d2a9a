/**
 * Who may let a rollout go further than its gates alone would (approve a step, resume a pause, `promote --full`):
 * the reviewed config's `rollout.approvers`, principal ARN patterns, matched against the caller AWS names.
 */

/** Does a principal's ARN match one of `patterns` (IAM's `*` and `?`)? An assumed role's session also matches its role's ARN. */
export function isApprover(principal: string, patterns: readonly string[]): boolean {
    const names = [principal];
    const session = /^arn:([\w-]+):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(principal);
    if (session) names.push(`arn:${session[1]}:iam::${session[2]}:role/${session[3]}`);
    return patterns.some((p) => {
        const re = new RegExp(
            `^${p
                .replace(/[.+^${}()|[\]\\]/g, "\\$&")
                .replace(/\*/g, ".*")
                .replace(/\?/g, ".")}$`,
        );
        return names.some((n) => re.test(n));
    });
}
