#!/usr/bin/env python3
"""A Lambda Runtime API on loopback that times runtimes from process start to answer.

Lambda starts a runtime with AWS_LAMBDA_RUNTIME_API=host:port and the runtime then
loops: `GET /2018-06-01/runtime/invocation/next` (the long poll that hands it an event),
`POST .../invocation/{id}/response` (or `.../error`); a failed start posts
`.../init/error`. This harness serves exactly that on 127.0.0.1 (a port the kernel
picks), starts the runtime as Lambda would (its environment variables, a fresh process),
and timestamps, with one monotonic clock:

* process start (just before spawning);
* the first `GET .../next`: initialisation is done, the runtime waits for work (init);
* each event handed out and each response received: the invocation's latency as the
  Runtime API sees it (for the first one, "first invoke"; the others are warm);
* peak RSS: VmHWM from /proc/PID/status once the runtime is back waiting on `next`.

Subcommands (run by scripts/bench.sh; each writes one JSON file):

    health   our health bootstrap vs a Python handler under awslambdaric vs a Node.js
             handler under aws-lambda-ric, alternating, ROUNDS rounds of INVOKES each,
             on an API Gateway REST event (events/health-rest-get.json); every answer
             is checked to be the same 200 with the same body and headers
    start    start-to-ready of one bootstrap (the watcher): init only, ROUNDS rounds

Only the standard library; all traffic stays on loopback; every wait is bounded.
"""

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid

API = "/2018-06-01/runtime"
# Bounds: a runtime that does not start, answer or stop within these is a failure.
INIT_TIMEOUT_S = 20.0
INVOKE_TIMEOUT_S = 10.0
IDLE_TIMEOUT_S = 5.0
STOP_TIMEOUT_S = 3.0
DEADLINE_MS = 3000  # the health function's Timeout in template.yaml


def now_ns():
    return time.perf_counter_ns()


class RuntimeApi:
    """The Runtime API for one runtime process, handing out `events` in order."""

    def __init__(self, events):
        self.events = events
        self.lock = threading.Condition()
        self.next_index = 0
        self.first_next_ns = None
        self.sent_ns = [None] * len(events)
        self.answered_ns = [None] * len(events)
        self.responses = [None] * len(events)
        self.idle_ns = None  # when the runtime asked for work after the last event
        self.errors = []
        self.closed = False
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.connections = []
        threading.Thread(target=self._accept, daemon=True).start()

    # --- server ----------------------------------------------------------------------
    def _accept(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return  # closed
            # Small request/response pairs: Nagle + delayed ACK would add 40 ms stalls.
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self.lock:
                self.connections.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        buffer = b""
        try:
            while True:
                while b"\r\n\r\n" not in buffer:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                head, buffer = buffer.split(b"\r\n\r\n", 1)
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                if headers.get("expect", "").lower() == "100-continue":
                    conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
                if "chunked" in headers.get("transfer-encoding", "").lower():
                    body, buffer = self._read_chunked(conn, buffer)
                else:
                    length = int(headers.get("content-length", "0"))
                    while len(buffer) < length:
                        chunk = conn.recv(65536)
                        if not chunk:
                            return
                        buffer += chunk
                    body, buffer = buffer[:length], buffer[length:]
                if not self._dispatch(conn, method, target.split("?", 1)[0], body):
                    return
        except OSError:
            return
        finally:
            conn.close()

    @staticmethod
    def _read_chunked(conn, buffer):
        body = b""
        while True:
            while b"\r\n" not in buffer:
                buffer += conn.recv(65536)
            size_line, buffer = buffer.split(b"\r\n", 1)
            size = int(size_line.split(b";")[0], 16)
            while len(buffer) < size + 2:
                buffer += conn.recv(65536)
            body += buffer[:size]
            buffer = buffer[size + 2 :]
            if size == 0:
                return body, buffer

    @staticmethod
    def _reply(conn, status, body=b"", headers=()):
        head = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}",
                "Content-Type: application/json"]
        head.extend(f"{name}: {value}" for name, value in headers)
        conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)

    def _dispatch(self, conn, method, path, body):
        """Answers one request; False closes the connection."""
        arrived = now_ns()
        if method == "GET" and path == f"{API}/invocation/next":
            with self.lock:
                if self.first_next_ns is None:
                    self.first_next_ns = arrived
                index = self.next_index
                if index >= len(self.events):
                    # Nothing left: hold the long poll, as Lambda does between events.
                    if self.idle_ns is None:
                        self.idle_ns = arrived
                    self.lock.notify_all()
                    while not self.closed:
                        self.lock.wait()
                    return False
                self.next_index += 1
            request_id = f"{index:08d}-{uuid.uuid4()}"
            deadline = int(time.time() * 1000) + DEADLINE_MS
            headers = [
                ("Lambda-Runtime-Aws-Request-Id", request_id),
                ("Lambda-Runtime-Deadline-Ms", str(deadline)),
                ("Lambda-Runtime-Invoked-Function-Arn",
                 "arn:aws:lambda:eu-west-1:123456789012:function:regionflip-bench"),
                ("Lambda-Runtime-Trace-Id",
                 f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Sampled=0"),
            ]
            with self.lock:
                self.sent_ns[index] = now_ns()
            self._reply(conn, "200 OK", self.events[index], headers)
            return True
        if method == "POST" and path.startswith(f"{API}/invocation/"):
            request_id, _, kind = path[len(f"{API}/invocation/"):].partition("/")
            index = int(request_id.split("-", 1)[0])
            with self.lock:
                if kind == "response":
                    self.answered_ns[index] = arrived
                    self.responses[index] = body
                else:
                    self.errors.append(f"invocation {index} error: {body[:500]!r}")
                    self.answered_ns[index] = arrived
                self.lock.notify_all()
            self._reply(conn, "202 Accepted", b'{"status":"OK"}')
            return True
        if method == "POST" and path == f"{API}/init/error":
            with self.lock:
                self.errors.append(f"init error: {body[:500]!r}")
                self.lock.notify_all()
            self._reply(conn, "202 Accepted", b'{"status":"OK"}')
            return True
        self._reply(conn, "404 Not Found", b'{"errorMessage":"unknown path"}')
        return True

    # --- driver side -----------------------------------------------------------------
    def wait_for(self, predicate, timeout, process):
        """Waits until predicate() holds; False on timeout, error or process exit."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while not predicate():
                if self.errors or process.poll() is not None:
                    return False
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.lock.wait(min(left, 0.05))
        return True

    def close(self):
        with self.lock:
            self.closed = True
            self.lock.notify_all()
            connections = list(self.connections)
        self.listener.close()
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def peak_rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return None


def stop(process):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def lambda_env(port, name, memory_mb, extra):
    """The variables Lambda sets in every execution environment, plus `extra`."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{port}",
        "AWS_LAMBDA_FUNCTION_NAME": name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_mb),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "2026/01/01/[$LATEST]0123456789abcdef",
        "AWS_REGION": "eu-west-1",
        "AWS_DEFAULT_REGION": "eu-west-1",
        # Dummy credentials, as Lambda injects the role's: nothing here calls AWS
        # except the watcher, and it only talks to the local emulator.
        "AWS_ACCESS_KEY_ID": "AKIABENCHMARKDUMMY00",
        "AWS_SECRET_ACCESS_KEY": "benchmark-dummy-secret",
        "AWS_SESSION_TOKEN": "benchmark-dummy-token",
    }
    env.update(extra)
    return env


def run_once(contender, events, log):
    """Starts one runtime, feeds it `events`, returns its timings (or raises)."""
    api = RuntimeApi(events)
    env = lambda_env(api.port, contender["function"], contender.get("memory", 128),
                     contender.get("env", {}))
    process = None
    try:
        log.write(f"--- {contender['name']}: {' '.join(contender['argv'])}\n")
        log.flush()
        started = now_ns()
        process = subprocess.Popen(contender["argv"], env=env, cwd=contender.get("cwd"),
                                   stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        if not api.wait_for(lambda: api.first_next_ns is not None, INIT_TIMEOUT_S, process):
            raise RuntimeError(f"{contender['name']}: no GET /next within {INIT_TIMEOUT_S} s "
                               f"(exit {process.poll()}; {api.errors})")
        for index in range(len(events)):
            if not api.wait_for(lambda: api.answered_ns[index] is not None,
                                INVOKE_TIMEOUT_S, process) or api.errors:
                raise RuntimeError(f"{contender['name']}: invocation {index} failed "
                                   f"(exit {process.poll()}; {api.errors})")
        if not api.wait_for(lambda: api.idle_ns is not None, IDLE_TIMEOUT_S, process):
            raise RuntimeError(f"{contender['name']}: did not come back for more work")
        rss = peak_rss_kib(process.pid)
    finally:
        if process is not None:
            stop(process)
        api.close()
    result = {
        "init_ms": (api.first_next_ns - started) / 1e6,
        "peak_rss_kib": rss,
        "responses": api.responses,
    }
    if events:
        result["first_invoke_ms"] = (api.answered_ns[0] - api.sent_ns[0]) / 1e6
        result["start_to_first_answer_ms"] = (api.answered_ns[0] - started) / 1e6
        result["warm_us"] = [(a - s) / 1e3 for s, a in
                             zip(api.sent_ns[1:], api.answered_ns[1:])]
    return result


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round((len(ordered) - 1) * q))]


def summary(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "p10": percentile(values, 0.1), "p90": percentile(values, 0.9), "n": len(values)}


def normalised_answer(raw):
    """(status, body, content-type, cache-control) of a proxy-integration response."""
    answer = json.loads(raw)
    headers = {k.lower(): v for k, v in (answer.get("headers") or {}).items()}
    for name, values in (answer.get("multiValueHeaders") or {}).items():
        headers.setdefault(name.lower(), values[0] if values else None)
    return (answer.get("statusCode"), answer.get("body"), headers.get("content-type"),
            headers.get("cache-control"))


def health(args):
    event = open(args.event, "rb").read()
    common_env = {"REGIONFLIP_HEALTH_PATH": "/health", "REGIONFLIP_SERVICE_NAME": "regionflip",
                  "REGIONFLIP_HEALTH_MATCH": "regionflip-healthy"}
    task_root_py = os.path.abspath(args.python_task_root)
    task_root_node = os.path.abspath(args.node_task_root)
    contenders = [{
        "name": "rust", "function": "regionflip-health", "argv": [os.path.abspath(args.ours)],
        # As template.yaml sets it for the health function.
        "env": {**common_env, "AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH": "true",
                "AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "INFO"},
    }]
    missing = {}
    if args.python_packages:
        contenders.append({
            "name": "python", "function": "health-python",
            "argv": [sys.executable if not args.python else args.python, "-m", "awslambdaric",
                     "handler.handler"],
            "cwd": task_root_py,
            "env": {**common_env, "PYTHONPATH": os.path.abspath(args.python_packages),
                    "LAMBDA_TASK_ROOT": task_root_py, "_HANDLER": "handler.handler",
                    "AWS_EXECUTION_ENV": "AWS_Lambda_python3",
                    # Lambda's runtimes ship compiled bytecode; keep ours out of the tree.
                    "PYTHONPYCACHEPREFIX": os.path.abspath(args.pycache)},
        })
    else:
        missing["python"] = args.python_missing or "not installed"
    if args.node_ric:
        contenders.append({
            "name": "node", "function": "health-node",
            "argv": [os.path.abspath(args.node_ric), "index.handler"],
            "cwd": task_root_node,
            "env": {**common_env, "LAMBDA_TASK_ROOT": task_root_node, "_HANDLER": "index.handler",
                    "AWS_EXECUTION_ENV": "AWS_Lambda_nodejs"},
        })
    else:
        missing["node"] = args.node_missing or "not installed"

    events = [event] * args.invokes
    runs = {c["name"]: [] for c in contenders}
    answers = {}
    with open(args.log, "w") as log:
        # One warm-up round, not counted: fills the page cache and Python's bytecode
        # cache, as a deployed runtime's image has them.
        for contender in contenders:
            run_once(contender, events[:2], log)
        for round_index in range(args.rounds):
            # Alternate, and rotate who goes first, so drift in the machine is shared.
            shift = round_index % len(contenders)
            for contender in contenders[shift:] + contenders[:shift]:
                result = run_once(contender, events, log)
                responses = result.pop("responses")
                for raw in (responses[0], responses[-1]):
                    answers.setdefault(contender["name"], normalised_answer(raw))
                runs[contender["name"]].append(result)
            print(f"runtime_api: round {round_index + 1}/{args.rounds} done", file=sys.stderr)

    reference = answers["rust"]
    if reference[0] != 200 or reference[2] != "application/json" or reference[3] != "no-store":
        raise SystemExit(f"runtime_api: unexpected answer from our bootstrap: {reference}")
    for name, answer in answers.items():
        if answer != reference:
            raise SystemExit(f"runtime_api: {name} answers {answer}, ours {reference}")

    out = {"rounds": args.rounds, "invokes_per_round": args.invokes, "event": args.event,
           "warm_up_rounds": 1,
           "answer": {"status": reference[0], "body": reference[1],
                      "content-type": reference[2], "cache-control": reference[3]},
           "missing": missing, "runtimes": {}}
    for name, results in runs.items():
        warm = [w for r in results for w in r["warm_us"]]
        out["runtimes"][name] = {
            "argv": next(c["argv"] for c in contenders if c["name"] == name),
            "init_ms": summary([r["init_ms"] for r in results]),
            "first_invoke_ms": summary([r["first_invoke_ms"] for r in results]),
            "start_to_first_answer_ms": summary([r["start_to_first_answer_ms"] for r in results]),
            "warm_p50_us": percentile(warm, 0.5),
            "warm_p99_us": percentile(warm, 0.99),
            "warm_p50_us_by_round": summary([percentile(r["warm_us"], 0.5) for r in results]),
            "warm_p99_us_by_round": summary([percentile(r["warm_us"], 0.99) for r in results]),
            "peak_rss_kib": summary([r["peak_rss_kib"] for r in results]),
        }
    write(args.out, out)


def start_moto(log):
    """moto_server on a kernel-chosen loopback port; returns (process, endpoint)."""
    process = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", "0"],
                               env={**os.environ, "PYTHONUNBUFFERED": "1"},
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    found = []

    def watch():
        for line in process.stderr:  # keep draining so moto never blocks on the pipe
            if not found and "Running on http://" in line:
                found.append(line.split("Running on ", 1)[1].strip().rstrip("/"))
            log.write(line)

    threading.Thread(target=watch, daemon=True).start()
    deadline = time.monotonic() + 60
    while not found:
        if process.poll() is not None or time.monotonic() > deadline:
            stop(process)
            raise SystemExit("runtime_api: moto_server did not start (pip install 'moto[server]')")
        time.sleep(0.05)
    return process, found[0]


def start(args):
    env = {}
    for path in args.env_json:
        env.update(json.load(open(path)))
    env.update(dict(item.split("=", 1) for item in args.env))
    contender = {"name": args.name, "function": args.name, "argv": args.argv,
                 "memory": args.memory, "env": env}
    results = []
    moto = None
    with open(args.log, "w") as log:
        try:
            if args.moto:
                moto, endpoint = start_moto(log)
                env["AWS_ENDPOINT_URL"] = endpoint
            run_once(contender, [], log)  # warm-up: page cache, not counted
            for _ in range(args.rounds):
                results.append(run_once(contender, [], log))
        finally:
            if moto is not None:
                stop(moto)
    write(args.out, {"name": args.name, "rounds": args.rounds, "warm_up_rounds": 1,
                     "argv": args.argv,
                     "init_ms": summary([r["init_ms"] for r in results]),
                     "peak_rss_kib": summary([r["peak_rss_kib"] for r in results])})


def write(path, data):
    with open(path, "w") as out:
        json.dump(data, out, indent=1)
        out.write("\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    h = sub.add_parser("health", help="ours vs Python vs Node.js, alternating")
    h.add_argument("--ours", required=True, help="the health bootstrap")
    h.add_argument("--event", required=True)
    h.add_argument("--rounds", type=int, default=20)
    h.add_argument("--invokes", type=int, default=1000)
    h.add_argument("--python", help="interpreter (default: this one)")
    h.add_argument("--python-packages", help="directory holding awslambdaric (PYTHONPATH)")
    h.add_argument("--python-missing", help="why the Python peer is absent")
    h.add_argument("--python-task-root", default="bench/peers/python")
    h.add_argument("--pycache", default="target/bench/pycache")
    h.add_argument("--node-ric", help="node_modules/.bin/aws-lambda-ric")
    h.add_argument("--node-missing", help="why the Node.js peer is absent")
    h.add_argument("--node-task-root", default="bench/peers/node")
    h.add_argument("--log", default="target/bench/runtime_api.log")
    h.add_argument("--out", required=True)
    h.set_defaults(run=health)
    s = sub.add_parser("start", help="start-to-ready of one bootstrap")
    s.add_argument("--name", required=True)
    s.add_argument("--rounds", type=int, default=20)
    s.add_argument("--memory", type=int, default=128)
    s.add_argument("--env-json", action="append", default=[],
                   help="a file holding a JSON object of extra variables")
    s.add_argument("--moto", action="store_true",
                   help="start moto_server and point AWS_ENDPOINT_URL at it")
    s.add_argument("--env", action="append", default=[], help="NAME=VALUE")
    s.add_argument("--log", required=True)
    s.add_argument("--out", required=True)
    s.add_argument("argv", nargs="+")
    s.set_defaults(run=start)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
