"use strict";
/** The orders worker: processes a batch of order events. */
exports.handler = async (event) => ({
    ok: true,
    service: "orders-worker",
    processed: Array.isArray(event?.Records) ? event.Records.length : 0,
});
