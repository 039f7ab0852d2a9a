/**
 * The example queue worker (a second function in the staging stack): it takes a batch of SQS-style records,
 * each a JSON job `{ "id": ..., "items": [numbers] }`, and returns their totals. A record that is not valid
 * JSON fails the invocation, so the message goes to the dead-letter queue after its retries.
 * A `{ "test": true }` payload is the rollout tool's smoke test.
 */
"use strict";

exports.handler = async (event = {}) => {
    if (event.test === true) {
        return { ok: true, release: process.env.RELEASE || "unknown" };
    }
    const records = Array.isArray(event.Records) ? event.Records : [];
    const totals = records.map((record) => {
        const job = JSON.parse(record.body);
        const items = Array.isArray(job.items) ? job.items : [];
        return { id: job.id, total: items.reduce((sum, n) => sum + Number(n), 0) };
    });
    return { processed: totals.length, totals };
};
