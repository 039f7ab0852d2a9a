import { Option } from "commander";

/** The `--html <file>` option of the verbs that end with a report (the page: automation/cli/reportCommand.ts). */
export const htmlOption = () =>
    new Option("--html <file>", "also write the report as one self-contained HTML page (charts, steps, events)");
