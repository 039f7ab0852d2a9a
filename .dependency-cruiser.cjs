/**
 * The direction of imports between the project's folders, written once (docs/design.md, "Layers") and checked in
 * CI (`npm run lint:layers`): every folder imports only the folders below it, and nothing imports in a circle,
 * type-only imports included. A newcomer's import that runs the wrong way fails here, naming the rule.
 *
 * From the bottom: domain/ (the rule of routing, the record's format, text made safe: pure) < config/ (the stack
 * config's schema) < components/ (the Pulumi components) < the tool's roots (automation/*.ts: errors, exit codes,
 * timers, the project) < automation/rollout (the pure decisions and the loop, through its ports) <
 * automation/{simulator, engine, adapters, notify, report, iam, adopt} < automation/wiring (the composition root)
 * < automation/rehearsal < automation/waves (a release through several stacks) and automation/sandbox (the
 * rehearsal's account served to a second shell) < automation/cli and automation/cli.ts; index.ts (the program) and
 * lib.ts on top.
 */
const ours = "^(domain|config|components|automation|deployments)/|^(index|lib)[.]ts$";

/** A rule: files under `from` (but `fromNot`) never import files matching `to`. */
const never = (name, comment, from, to, fromNot) => ({
    name,
    comment,
    severity: "error",
    from: { path: from, ...(fromNot ? { pathNot: fromNot } : {}) },
    to: { path: to },
});

module.exports = {
    forbidden: [
        {
            name: "no-circular",
            comment: "Modules never import each other in a circle (type-only imports included): a circle has no bottom to read it from.",
            severity: "error",
            from: {},
            to: { circular: true },
        },
        never("domain-is-the-bottom", "domain/ is pure and imports nothing of ours outside it.", "^domain/", ours.replace("(domain|", "(")),
        never(
            "config-below-components",
            "config/ (the schema) imports only domain/.",
            "^config/",
            "^(components|automation|deployments)/|^(index|lib)[.]ts$",
        ),
        never(
            "components-below-the-tool",
            "components/ (the program's resources) import domain/ and config/, never the tool.",
            "^components/",
            "^(automation|deployments)/|^(index|lib)[.]ts$",
        ),
        never(
            "rollout-is-pure",
            "automation/rollout decides and moves traffic only through its ports: no adapter, engine, simulator, rehearsal, wiring, notification, report page, command line.",
            "^automation/rollout/",
            "^automation/(adapters|engine|simulator|rehearsal|wiring|notify|report|iam|adopt|cli)/|^automation/cli[.]ts$",
        ),
        never(
            "edges-below-the-root",
            "The world's edges (adapters, the engine, the simulator, notifications, the report page, IAM, adopt) never import the composition root, the rehearsal or the command line.",
            "^automation/(adapters|engine|simulator|notify|report|iam|adopt)/",
            "^automation/(wiring|rehearsal|cli)/|^automation/cli[.]ts$",
        ),
        never(
            "simulator-is-aws",
            "The simulated AWS answers SDK commands; it knows nothing of the tool that calls it.",
            "^automation/simulator/",
            "^automation/(rollout|adapters|engine|notify|report)/",
        ),
        never(
            "notify-sends-through-ports",
            "Notifications decide what to send and send it through their ports (notify/ports.ts), which the composition root binds to adapters: notify never imports an adapter, nor an adapter notify.",
            "^automation/notify/",
            "^automation/adapters/",
        ),
        never(
            "adapters-below-notify",
            "Notifications use adapters through their ports; adapters never use notifications.",
            "^automation/adapters/",
            "^automation/notify/",
        ),
        never(
            "wiring-below-its-callers",
            "The composition root is called by the rehearsal and the command line, never the other way.",
            "^automation/wiring/",
            "^automation/(rehearsal|cli)/|^automation/cli[.]ts$",
        ),
        never(
            "rehearsal-below-the-cli",
            "The rehearsal never imports the command line.",
            "^automation/rehearsal/",
            "^automation/cli/|^automation/cli[.]ts$",
        ),
        never(
            "release-is-pure",
            "A release through waves (automation/waves) decides from the stacks' records and acts through its StackWorld; only its rehearsal, its plan file and its timeline touch the world.",
            "^automation/waves/",
            "^automation/(adapters|engine|simulator|rehearsal|wiring|notify|report|iam|adopt|cli)/|^automation/cli[.]ts$",
            "^automation/waves/(rehearsal|planFile|timeline)[.]ts$",
        ),
        never(
            "release-below-the-cli",
            "A release and its rehearsal never import the command line.",
            "^automation/waves/",
            "^automation/cli/|^automation/cli[.]ts$",
        ),
        never(
            "sandbox-below-the-cli",
            "The sandbox (a simulated account served to a second shell) is started by the command line and never imports it.",
            "^automation/sandbox/",
            "^automation/cli/|^automation/cli[.]ts$",
        ),
        never(
            "only-the-cli-starts-the-sandbox",
            "Nothing but the command line imports the sandbox: no rollout, edge, composition root, rehearsal, release or program depends on it.",
            "^(domain|config|components|deployments)/|^(index|lib)[.]ts$|^automation/(?!sandbox/|cli/|cli[.]ts$)",
            "^automation/sandbox/",
        ),
        never(
            "roots-are-roots",
            "The tool's root modules (errors, exit codes, timers, the project) import only below them; cli.ts, the entry point, is the top.",
            "^automation/[^/]+[.]ts$",
            "^automation/[^/]+/",
            "^automation/cli[.]ts$",
        ),
    ],
    options: {
        doNotFollow: { path: "node_modules" },
        exclude: { path: "^(node_modules|dist|bin|tests|bench|examples|app)/|[.]github/" },
        tsPreCompilationDeps: true,
        tsConfig: { fileName: "tsconfig.json" },
        combinedDependencies: false,
    },
};
