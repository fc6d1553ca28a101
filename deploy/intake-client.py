#!/usr/bin/env python3
"""An example client of xinfang's intake API, as a 12345 hotline or an online petition portal
would write it (standard library only).

It hands a petition over under its own id, sends the same request again (as a retry after a lost
answer would) and shows that both answers name the same case, follows the petition by its id, and
receives the signed callbacks of its milestones, checking each signature.

    source .xinfang-demo/tokens.env
    python3 deploy/intake-client.py --url http://127.0.0.1:8430 --token "$XF_INTAKE_430000"

Options: --listen PORT (8799, where the demo's province sends callbacks), --secret (the demo's),
--wait SECONDS (how long to wait for callbacks), --id (the petition's id; a new one by default).
"""

import argparse
import hashlib
import hmac
import http.server
import json
import threading
import time
import urllib.error
import urllib.request
import uuid

DEMO_SECRET = "demo-callback-secret-not-for-production-use"


def request(method, url, token, body=None):
    data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Authorization", "Bearer " + token)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10) as answer:
            return answer.status, json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read() or b"{}")


def submit(url, token, petition_id, attempts=4):
    """Sends the petition, retrying on a lost connection or a 5xx: the id makes a retry safe."""
    body = {
        "externalId": petition_id,
        "submittedAt": time.strftime("%Y-%m-%dT%H:%M:%S+08:00"),
        "petition": {
            "channel": "phone",
            "petitioners": [{"name": "王芳", "mobile": "13900001111", "isLead": True}],
            "purpose": "request",
            "category": {"level1": "劳动和社会保障", "level2": "劳动关系", "level3": "拖欠农民工工资"},
            "issueRegion": "430102",
            "summary": "来电反映某建筑公司拖欠工资三个月",
            "text": "来电人称在某建筑工地务工，公司拖欠其三个月工资共计一万二千元，请求协调支付。",
        },
    }
    for attempt in range(1, attempts + 1):
        try:
            status, answer = request("POST", url + "/api/v1/intake/petitions", token, body)
        except OSError as lost:
            print(f"  attempt {attempt}: no answer ({lost}); retrying under the same id")
            time.sleep(attempt)
            continue
        if status >= 500:
            print(f"  attempt {attempt}: {status}; retrying under the same id")
            time.sleep(attempt)
            continue
        return status, answer
    raise SystemExit("the node did not answer")


class Callbacks(http.server.BaseHTTPRequestHandler):
    secret = DEMO_SECRET
    seen = set()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        timestamp = self.headers.get("X-Xinfang-Timestamp", "")
        expected = "sha256=" + hmac.new(self.secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        given = self.headers.get("X-Xinfang-Signature", "")
        fresh = timestamp.isdigit() and abs(time.time() * 1000 - int(timestamp)) < 300_000
        if not (hmac.compare_digest(expected, given) and fresh):
            self.send_response(401)
            self.end_headers()
            print("  callback refused: bad signature or stale timestamp")
            return
        delivery = self.headers.get("X-Xinfang-Delivery", "")
        event = json.loads(body)
        duplicate = delivery in self.seen
        self.seen.add(delivery)
        self.send_response(200)
        self.end_headers()
        if not duplicate:
            print(f"  callback {delivery}: {event.get('externalId')} {event.get('milestone')} ({event.get('organ')}, {event.get('date')}),"
                  f" status {event.get('statusLabel')}" + (f", repeat of {event['repeatOf']}" if event.get("repeatOf") else ""))

    def log_message(self, *args):
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="the node's base URL")
    parser.add_argument("--token", required=True, help="an intake-only API token")
    parser.add_argument("--listen", type=int, default=8799)
    parser.add_argument("--secret", default=DEMO_SECRET)
    parser.add_argument("--wait", type=float, default=10)
    parser.add_argument("--id", default="12345-" + uuid.uuid4().hex[:12])
    args = parser.parse_args()

    Callbacks.secret = args.secret
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.listen), Callbacks)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"listening for callbacks on http://127.0.0.1:{args.listen}/xinfang-callback")

    print(f"submitting petition {args.id}")
    status, first = submit(args.url, args.token, args.id)
    print(f"  {status}: case {first.get('caseNumber')} signed for at {first.get('signedAt')}, 查询码 {first.get('lookupCode')}")
    status, again = submit(args.url, args.token, args.id)
    print(f"  the same request again: {status}, case {again.get('caseNumber')} (one case, however often it is sent)")

    status, state = request("GET", f"{args.url}/api/v1/intake/petitions/{args.id}", args.token)
    print(f"status: {state.get('statusLabel')} at {state.get('handlingOrgan')}")
    for step in state.get("progress", {}).get("steps", []):
        print(f"  {step['date']} {step['title']} · {step['organ']}")

    print(f"waiting {args.wait:.0f} s for callbacks")
    time.sleep(args.wait)
    server.shutdown()


if __name__ == "__main__":
    main()
