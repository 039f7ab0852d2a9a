// Lint: ESLint's and typescript-eslint's recommended rules over the program, the tool, the tests and the bench.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
    { ignores: ["node_modules/", "bin/", "dist/", "bench/results/", "app/", "examples/*/src/"] },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    {
        rules: {
            // Adapters and mocks handle the SDK's and the engine's loosely typed payloads on purpose.
            "@typescript-eslint/no-explicit-any": "off",
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" }],
        },
    },
    {
        files: ["tests/fixtures/**", "**/*.cjs"],
        languageOptions: { globals: { require: "readonly", process: "readonly", module: "writable", __dirname: "readonly", console: "readonly" } },
        rules: { "@typescript-eslint/no-require-imports": "off" },
    },
);
