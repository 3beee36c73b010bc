// The health endpoint written the way most Lambda users would: a Node.js handler.
//
// Peer of crates/health in the runtime benchmark (bench/runtime_api.py): the same static
// JSON body with the same headers, for API Gateway REST, HTTP API and function URL events.

// Built once per cold start, like the Rust endpoint's precomputed responses.
const BODY = JSON.stringify({
  status: "ok",
  match: process.env.REGIONFLIP_HEALTH_MATCH ?? "regionflip-healthy",
  service: process.env.REGIONFLIP_SERVICE_NAME ?? "regionflip",
  region: process.env.AWS_REGION ?? "local",
});
const HEADERS = { "content-type": "application/json", "cache-control": "no-store" };
const NOT_FOUND = JSON.stringify({ error: "not found" });
const HEALTH_PATH = process.env.REGIONFLIP_HEALTH_PATH ?? "/health";

export const handler = async (event) => {
  const path = event.rawPath ?? event.path ?? "";
  if (path !== HEALTH_PATH) {
    return { statusCode: 404, headers: HEADERS, body: NOT_FOUND, isBase64Encoded: false };
  }
  return { statusCode: 200, headers: HEADERS, body: BODY, isBase64Encoded: false };
};
