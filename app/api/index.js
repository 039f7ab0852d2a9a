/**
 * The example HTTP-style JSON function that the stacks deploy.
 *
 * Behind API Gateway or a function URL it answers `GET /hello?name=x` with a JSON greeting and `GET /health`
 * with its version. A `{ "test": true }` payload is the rollout tool's smoke test: it is sent straight to the
 * candidate version before any traffic moves, and must come back `{ "ok": true, ... }`.
 */
"use strict";

const RELEASE = process.env.RELEASE || "unknown";

function json(statusCode, body) {
    return { statusCode, headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
}

/** Lambda entry point (handler `index.handler`). */
exports.handler = async (event = {}, context = {}) => {
    const version = context.functionVersion || process.env.AWS_LAMBDA_FUNCTION_VERSION || "$LATEST";
    if (event.test === true) {
        return { ok: true, release: RELEASE, version };
    }
    const path = event.rawPath || event.path || "/";
    const method = (event.requestContext && event.requestContext.http && event.requestContext.http.method) || event.httpMethod || "GET";
    if (method !== "GET") {
        return json(405, { error: `method ${method} is not allowed` });
    }
    if (path === "/health") {
        return json(200, { status: "ok", release: RELEASE, version });
    }
    if (path === "/hello") {
        const params = event.queryStringParameters || {};
        const name = typeof params.name === "string" && params.name.length > 0 ? params.name.slice(0, 64) : "world";
        return json(200, { message: `hello, ${name}`, release: RELEASE });
    }
    return json(404, { error: `no route for ${path}` });
};
