import { expect } from "chai";
import { AwsCallError } from "../../automation/adapters/awsError";
import { describeBug, ExitCode, exitCodeFor, InfrastructureError, StackLockedError, UsageError } from "../../automation/errors";
import { EXIT_CODE_MEANINGS } from "../../automation/exitCodes";

describe("errors at the entry point: bad input, a held stack, AWS or Pulumi failing, or a bug of ours", () => {
    const cases: [string, unknown, number][] = [
        ["bad input", new UsageError("`--stack` is required"), ExitCode.usage],
        ["another update holds the stack", new StackLockedError("prod"), ExitCode.locked],
        ["an up that failed", new InfrastructureError("provider error"), ExitCode.infrastructure],
        [
            "AWS answering with an error code",
            new AwsCallError("UpdateAlias", "ResourceConflictException", "in progress"),
            ExitCode.infrastructure,
        ],
        ["an error of unknown origin (e.g. a network failure from an SDK)", new Error("socket hang up"), ExitCode.infrastructure],
        ["a TypeError: a bug of ours", new TypeError("Cannot read properties of undefined (reading 'weight')"), ExitCode.bug],
        ["a RangeError: a bug of ours", new RangeError("Invalid array length"), ExitCode.bug],
        ["a ReferenceError: a bug of ours", new ReferenceError("x is not defined"), ExitCode.bug],
    ];
    for (const [what, err, code] of cases) {
        it(`${what} exits ${code}`, () => expect(exitCodeFor(err)).to.equal(code));
    }

    it("a bug is told as one, with where it happened and whom to tell, and 70 has its meaning in the one table", () => {
        const lines = describeBug(new TypeError("Cannot read properties of undefined (reading 'weight')"));
        expect(lines[0]).to.equal(
            "error: a bug in lambda-rollout (not an AWS or Pulumi failure): TypeError: Cannot read properties of undefined (reading 'weight')",
        );
        expect(lines[1]).to.match(/^ {2}at /);
        expect(lines.at(-1)).to.contain("please report it");
        expect(EXIT_CODE_MEANINGS[ExitCode.bug]).to.match(/^a bug in lambda-rollout/);
    });
});
