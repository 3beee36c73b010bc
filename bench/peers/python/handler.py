"""The health endpoint written the way most Lambda users would: a Python handler.

Peer of crates/health in the runtime benchmark (bench/runtime_api.py): the same static
JSON body with the same headers, for API Gateway REST, HTTP API and function URL events.
"""

import json
import os

# Built once per cold start, like the Rust endpoint's precomputed responses.
BODY = json.dumps(
    {
        "status": "ok",
        "match": os.environ.get("REGIONFLIP_HEALTH_MATCH", "regionflip-healthy"),
        "service": os.environ.get("REGIONFLIP_SERVICE_NAME", "regionflip"),
        "region": os.environ.get("AWS_REGION", "local"),
    },
    separators=(",", ":"),
)
HEADERS = {"content-type": "application/json", "cache-control": "no-store"}
NOT_FOUND = json.dumps({"error": "not found"}, separators=(",", ":"))


def handler(event, context):
    path = event.get("rawPath") or event.get("path") or ""
    if path != os.environ.get("REGIONFLIP_HEALTH_PATH", "/health"):
        return {"statusCode": 404, "headers": HEADERS, "body": NOT_FOUND, "isBase64Encoded": False}
    return {"statusCode": 200, "headers": HEADERS, "body": BODY, "isBase64Encoded": False}
