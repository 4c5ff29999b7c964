#!/usr/bin/python3
"""A second, independent open-loop load client for the Rank call (gRPC), in Python.

It shares no code with loadtest/Serving.LoadTest: the stubs are generated at run time from
src/Serving.Contracts/Protos/serving/ranking/v1/ranking.proto (python3 -m grpc_tools.protoc into a
temporary folder), the requests are built here from the model's config.json and either a Criteo
TSV (--data) or synthesised values, and the pacing, recording and statistics are its own. It exists
to check the C# generator's figures (scripts/client-agreement.sh compares the two).

How it measures:
  * Open loop: arrival times are a Poisson process at --rate (exponential gaps from its own RNG,
    --seed); each request leaves at its intended time whether or not earlier ones were answered.
    At most --max-in-flight calls are outstanding; an arrival beyond that is dropped and counted
    (CLIENT_DROPPED), never delayed.
  * Latency = completion - intended send time (no coordinated omission). The send lag (actual send
    - intended) is reported separately: when its p99 is more than a millisecond or two, this client
    and not the server limited the run.
  * --warmup seconds of unrecorded traffic first, then --duration seconds recorded: the arrivals
    whose intended time falls in the window. After the last arrival it waits up to --drain-timeout
    for answers, then cancels the rest (CANCELLED).
  * Requests are built and protobuf-encoded before the run (a pool of --pool-size, sent
    round-robin); a call sends the pre-encoded bytes.
  * Candidate counts: lognormal:MEAN,SIGMA,MAX,MIN (the location is solved so the mean after
    rounding-free clamping to [MIN, MAX] is MEAN) or fixed:N. Candidates are consecutive rows of the
    table, cycled; every feature is sent per candidate (no context features).
  * Percentiles are exact nearest-rank over every recorded call of any status (sorted list).

Two senders (--mode): "threads" (default) paces with time.sleep in a thread of its own and issues
each call with the synchronous stub's future() (callbacks record the completion); "aio" runs one
asyncio loop with grpc.aio, a task per call. Only loopback targets are accepted.

    /usr/bin/python3 loadtest/python/open_loop.py --target 127.0.0.1:8081 --rate 200 --duration 20 \
        --model criteo-deepfm-xl --data /path/to/criteo_train_10k.txt --out result.json

Prints a summary on stderr and the JSON result on stdout (and to --out when given).
"""
import argparse
import asyncio
import collections
import ipaddress
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROTO_ROOT = os.path.join(ROOT, "src", "Serving.Contracts", "Protos")
RANKING_PROTO = "serving/ranking/v1/ranking.proto"


def log(message):
    print("open_loop: " + message, file=sys.stderr, flush=True)


# --- stubs -----------------------------------------------------------------------------------

def google_api_protos():
    """The folder holding google/api/annotations.proto: GOOGLE_API_PROTOS, else the Google.Api.CommonProtos
    NuGet package the contracts project restores (its version from Directory.Packages.props), else None."""
    explicit = os.environ.get("GOOGLE_API_PROTOS")
    if explicit:
        return explicit
    packages = os.environ.get("NUGET_PACKAGES") or os.path.join(os.path.expanduser("~"), ".nuget", "packages")
    base = os.path.join(packages, "google.api.commonprotos")
    versions = []
    try:
        with open(os.path.join(ROOT, "Directory.Packages.props"), encoding="utf-8") as f:
            found = re.search(r'Include="Google\.Api\.CommonProtos" Version="([^"]+)"', f.read())
            if found:
                versions.append(found.group(1))
    except OSError:
        pass
    if os.path.isdir(base):
        versions += sorted(os.listdir(base), reverse=True)
    for version in versions:
        folder = os.path.join(base, version, "content", "protos")
        if os.path.isfile(os.path.join(folder, "google", "api", "annotations.proto")):
            return folder
    return None


def generate_stubs(work):
    """Generates ranking_pb2 into WORK and imports it. ranking.proto imports google/api/annotations.proto
    (REST transcoding options, irrelevant on the wire); when that file is nowhere to be found, a copy of
    ranking.proto without the google.api options is compiled instead: the messages are the same."""
    google = google_api_protos()
    protoc = [sys.executable, "-m", "grpc_tools.protoc", f"--python_out={work}"]
    if google:
        args = protoc + [f"-I{PROTO_ROOT}", f"-I{google}", RANKING_PROTO, "google/api/annotations.proto",
                         "google/api/http.proto"]
    else:
        log("google/api/annotations.proto not found (set GOOGLE_API_PROTOS or run dotnet restore); "
            "compiling ranking.proto without its google.api options")
        stripped = os.path.join(work, "protos")
        os.makedirs(os.path.join(stripped, os.path.dirname(RANKING_PROTO)))
        with open(os.path.join(PROTO_ROOT, RANKING_PROTO), encoding="utf-8") as f:
            text = f.read()
        text = text.replace('import "google/api/annotations.proto";', "")
        text = re.sub(r"option \(google\.api\.http\) = \{[^}]*\};", "", text)
        with open(os.path.join(stripped, RANKING_PROTO), "w", encoding="utf-8") as f:
            f.write(text)
        args = protoc + [f"-I{stripped}", RANKING_PROTO]
    result = subprocess.run(args, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"open_loop: protoc failed ({' '.join(args)}): {result.stderr}")
    sys.path.insert(0, work)
    from serving.ranking.v1 import ranking_pb2  # noqa: E402 (generated just now)
    return ranking_pb2


# --- workload --------------------------------------------------------------------------------

def normal_cdf(x):
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def clamped_lognormal_mean(mu, sigma, low, high):
    """E[min(max(X, low), high)] for ln X ~ N(mu, sigma^2)."""
    a, b = (math.log(low) - mu) / sigma, (math.log(high) - mu) / sigma
    inside = math.exp(mu + sigma * sigma / 2) * (normal_cdf(b - sigma) - normal_cdf(a - sigma))
    return low * normal_cdf(a) + inside + high * (1 - normal_cdf(b))


class CandidateCounts:
    """fixed:N or lognormal:MEAN[,SIGMA[,MAX[,MIN]]] (defaults 165, 1.0, 1024, 1)."""

    def __init__(self, spec):
        kind, _, rest = spec.strip().partition(":")
        values = [v for v in rest.split(",") if v.strip()] if rest else []
        self.spec = spec
        if kind == "fixed" and len(values) == 1:
            self.fixed = int(values[0])
            if self.fixed < 1:
                raise SystemExit("open_loop: fixed:N needs N >= 1")
            return
        if kind != "lognormal" or len(values) > 4:
            raise SystemExit(f"open_loop: --candidates '{spec}': use fixed:N or lognormal:MEAN,SIGMA,MAX,MIN")
        defaults = [165.0, 1.0, 1024.0, 1.0]
        mean, sigma, high, low = [float(v) for v in values] + defaults[len(values):]
        if not (low >= 1 and high >= low and low < mean < high and sigma > 0):
            raise SystemExit(f"open_loop: --candidates '{spec}': need 1 <= MIN < MEAN < MAX and SIGMA > 0")
        self.fixed = None
        self.sigma, self.low, self.high = sigma, int(low), int(high)
        lo, hi = math.log(low) - 12 * sigma, math.log(high) + 12 * sigma
        for _ in range(200):  # the clamped mean grows with mu: bisection
            mid = (lo + hi) / 2
            if clamped_lognormal_mean(mid, sigma, low, high) < mean:
                lo = mid
            else:
                hi = mid
        self.mu = (lo + hi) / 2

    def draw(self, rng):
        if self.fixed is not None:
            return self.fixed
        return int(round(min(max(rng.lognormvariate(self.mu, self.sigma), self.low), self.high)))


def read_features(config_path):
    with open(config_path, encoding="utf-8") as f:
        config = json.load(f)
    features = [(feature["name"], feature["kind"]) for feature in config["features"]]
    for name, kind in features:
        if kind not in ("dense", "sparse"):
            raise SystemExit(f"open_loop: {config_path}: feature {name} has kind '{kind}'")
    return features


def criteo_column(name):
    """Criteo TSV layout: label, I1..I13, C1..C26."""
    match = re.fullmatch(r"([IC])(\d+)", name)
    if not match:
        raise SystemExit(f"open_loop: feature '{name}' is not a Criteo column (I1..I13, C1..C26)")
    number = int(match.group(2))
    if match.group(1) == "I" and 1 <= number <= 13:
        return number
    if match.group(1) == "C" and 1 <= number <= 26:
        return 13 + number
    raise SystemExit(f"open_loop: feature '{name}' is not a Criteo column (I1..I13, C1..C26)")


def load_criteo(path, features):
    """Per feature, the list of its values over the file's rows (dense: float, NaN when empty; sparse: str)."""
    columns = [(criteo_column(name), kind) for name, kind in features]
    table = [[] for _ in features]
    with open(path, encoding="utf-8", newline="") as f:
        for number, line in enumerate(f, 1):
            fields = line.rstrip("\r\n").split("\t")
            if len(fields) != 40:
                raise SystemExit(f"open_loop: {path}:{number}: {len(fields)} fields, a Criteo row has 40")
            for i, (column, kind) in enumerate(columns):
                raw = fields[column]
                table[i].append((float(raw) if raw else math.nan) if kind == "dense" else raw)
    if not table or not table[0]:
        raise SystemExit(f"open_loop: {path}: no rows")
    return table


def synthesise(features, rows, rng):
    """Criteo-like values: dense counts (heavy-tailed, 10% missing), sparse 8-hex-digit tokens from a
    skewed vocabulary per feature (5% missing)."""
    table = []
    for _, kind in features:
        if kind == "dense":
            table.append([math.nan if rng.random() < 0.1 else float(int(rng.lognormvariate(1.0, 1.5)))
                          for _ in range(rows)])
        else:
            vocabulary = rng.choice((10, 100, 1000, 10000))
            table.append(["" if rng.random() < 0.05 else "%08x" % int(vocabulary ** rng.random())
                          for _ in range(rows)])
    return table


def build_pool(pb, model, features, table, counts, size, rng):
    """SIZE encoded RankRequests: (bytes, candidate count). Request k takes the rows after request k-1's."""
    rows = len(table[0])
    pool, row = [], 0
    for k in range(size):
        n = counts.draw(rng)
        request = pb.RankRequest(model=model, request_id=f"py-{k}", candidate_count=n)
        picks = [(row + j) % rows for j in range(n)]
        row = (row + n) % rows
        for (name, kind), values in zip(features, table):
            column = [values[p] for p in picks]
            if kind == "dense":
                request.candidates.dense.add(name=name).values.extend(column)
            else:
                request.candidates.sparse.add(name=name).values.extend(column)
        pool.append((request.SerializeToString(), n))
    return pool


def arrival_offsets(rate, until, rng):
    """Poisson arrivals at RATE per second from 0 to UNTIL seconds: the intended send offsets."""
    offsets, t = [], rng.expovariate(rate)
    while t < until:
        offsets.append(t)
        t += rng.expovariate(rate)
    return offsets


# --- senders ---------------------------------------------------------------------------------

class Recorder:
    """Per recorded call: intended, sent and done times (perf_counter seconds) and its status."""

    def __init__(self, window_start, window_end):
        self.window_start, self.window_end = window_start, window_end
        self.calls = []  # (intended, sent, done, status); list.append is atomic under the GIL
        self.dropped = 0
        self.warmup_calls = 0

    def recorded(self, offset):
        return self.window_start <= offset < self.window_end


def channel_options():
    return [("grpc.enable_http_proxy", 0), ("grpc.max_send_message_length", 64 << 20),
            ("grpc.max_receive_message_length", 64 << 20), ("grpc.enable_retries", 0)]


def run_threads(grpc, pb, method, target, pool, offsets, recorder, args):
    channel = grpc.insecure_channel(target, options=channel_options())
    grpc.channel_ready_future(channel).result(timeout=10)
    rank = channel.unary_unary(method, request_serializer=None, response_deserializer=pb.RankResponse.FromString)
    timeout = args.deadline_ms / 1000 if args.deadline_ms else None
    lock = threading.Lock()
    in_flight = [0]
    futures = set()
    idle = threading.Event()
    idle.set()

    def finish(future, intended, sent, n, record):
        done = time.perf_counter()
        try:
            status = "OK" if len(future.result().scores) == n else "BAD_RESPONSE"
        except grpc.FutureCancelledError:
            status = "CANCELLED"
        except grpc.RpcError as error:
            status = error.code().name
        except Exception:  # noqa: BLE001 (anything else is the client's own failure)
            status = "CLIENT_ERROR"
        if record:
            recorder.calls.append((intended, sent, done, status))
        with lock:
            in_flight[0] -= 1
            futures.discard(future)
            if in_flight[0] == 0:
                idle.set()

    start = time.perf_counter() + 0.05
    for k, offset in enumerate(offsets):
        intended = start + offset
        delay = intended - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        record = recorder.recorded(offset)
        with lock:
            if in_flight[0] >= args.max_in_flight:
                if record:
                    recorder.dropped += 1
                continue
            in_flight[0] += 1
            idle.clear()
        payload, n = pool[k % len(pool)]
        sent = time.perf_counter()
        future = rank.future(payload, timeout=timeout)
        with lock:
            futures.add(future)
        future.add_done_callback(lambda f, i=intended, s=sent, n=n, r=record: finish(f, i, s, n, r))
    last_send = time.perf_counter()
    if not idle.wait(args.drain_timeout):
        with lock:
            stragglers = list(futures)
        for future in stragglers:
            future.cancel()
        idle.wait(5)
    channel.close()
    return start, last_send


def run_aio(grpc, pb, method, target, pool, offsets, recorder, args):
    from grpc import aio

    async def main():
        channel = aio.insecure_channel(target, options=channel_options())
        await asyncio.wait_for(channel.channel_ready(), 10)
        rank = channel.unary_unary(method, request_serializer=None, response_deserializer=pb.RankResponse.FromString)
        timeout = args.deadline_ms / 1000 if args.deadline_ms else None
        tasks = set()

        async def call(payload, n, intended, record):
            sent = time.perf_counter()
            try:
                status = "OK" if len((await rank(payload, timeout=timeout)).scores) == n else "BAD_RESPONSE"
            except asyncio.CancelledError:
                status = "CANCELLED"
            except aio.AioRpcError as error:
                status = error.code().name
            except Exception:  # noqa: BLE001
                status = "CLIENT_ERROR"
            if record:
                recorder.calls.append((intended, sent, time.perf_counter(), status))

        loop = asyncio.get_running_loop()
        start = time.perf_counter() + 0.05
        for k, offset in enumerate(offsets):
            intended = start + offset
            delay = intended - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            record = recorder.recorded(offset)
            if len(tasks) >= args.max_in_flight:
                if record:
                    recorder.dropped += 1
                continue
            payload, n = pool[k % len(pool)]
            task = loop.create_task(call(payload, n, intended, record))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        last_send = time.perf_counter()
        if tasks:
            _, pending = await asyncio.wait(set(tasks), timeout=args.drain_timeout)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=5)
        await channel.close()
        return start, last_send

    return asyncio.run(main())


# --- report ----------------------------------------------------------------------------------

def percentile(sorted_values, p):
    """Nearest rank: the smallest value with at least p% of the values at or below it."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summary_ms(values):
    ordered = sorted(values)
    result = {f"p{label}": percentile(ordered, p) for label, p in (("50", 50), ("90", 90), ("99", 99), ("999", 99.9))}
    result["max"] = ordered[-1] if ordered else None
    result["mean"] = sum(ordered) / len(ordered) if ordered else None
    return {k: (round(v * 1000, 3) if v is not None else None) for k, v in result.items()}


def loopback_target(target):
    host, sep, port = target.rpartition(":")
    if not sep or not port.isdigit():
        raise SystemExit(f"open_loop: --target '{target}': use HOST:PORT")
    bare = host.strip("[]")
    if bare != "localhost":
        try:
            loopback = ipaddress.ip_address(bare).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise SystemExit(f"open_loop: --target '{target}' is not a loopback address; this client only loads 127.0.0.0/8, ::1 or localhost")
    return target


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", required=True, help="HOST:PORT of the gRPC listener (loopback only)")
    parser.add_argument("--model", default="criteo-deepfm")
    parser.add_argument("--model-config", help="default models/<model>/config.json")
    parser.add_argument("--data", help="Criteo TSV (label, I1..I13, C1..C26); default: synthesise")
    parser.add_argument("--synthetic-rows", type=int, default=4096)
    parser.add_argument("--candidates", default="lognormal:165,1.0,1024,1", help="fixed:N or lognormal:MEAN,SIGMA,MAX,MIN")
    parser.add_argument("--rate", type=float, required=True, help="offered requests per second (Poisson)")
    parser.add_argument("--duration", type=float, default=20.0, help="recorded seconds")
    parser.add_argument("--warmup", type=float, default=2.0, help="unrecorded seconds before the recorded window")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pool-size", type=int, default=1024)
    parser.add_argument("--max-in-flight", type=int, default=4096)
    parser.add_argument("--deadline-ms", type=int, default=0, help="per-call gRPC deadline; 0 = none")
    parser.add_argument("--drain-timeout", type=float, default=10.0, help="seconds to wait for answers after the last send")
    parser.add_argument("--mode", choices=("threads", "aio"), default="threads")
    parser.add_argument("--method", default="Rank", help="RankingService method: Rank, or TransportFloor (a server started "
                        "with Serving__Benchmark__TransportFloor=true answers it without inference: the client's own ceiling)")
    parser.add_argument("--out", help="also write the JSON result here")
    args = parser.parse_args(argv)
    if args.rate <= 0 or args.duration <= 0 or args.warmup < 0 or args.pool_size < 1 or args.max_in_flight < 1:
        parser.error("--rate, --duration, --pool-size and --max-in-flight must be positive, --warmup not negative")
    loopback_target(args.target)
    return args


def main(argv):
    args = parse_args(argv)
    import grpc  # Debian: python3-grpcio

    config = args.model_config or os.path.join(ROOT, "models", args.model, "config.json")
    features = read_features(config)
    rng_rows, rng_sizes, rng_arrivals = (random.Random(f"{args.seed}/{what}") for what in ("rows", "sizes", "arrivals"))
    table = load_criteo(args.data, features) if args.data else synthesise(features, args.synthetic_rows, rng_rows)
    counts = CandidateCounts(args.candidates)

    work = tempfile.mkdtemp(prefix="open-loop-stubs-")
    try:
        pb = generate_stubs(work)
        service = pb.DESCRIPTOR.services_by_name["RankingService"]
        method = f"/{service.full_name}/{args.method}"
        built = time.perf_counter()
        pool = build_pool(pb, args.model, features, table, counts, args.pool_size, rng_sizes)
        build_seconds = time.perf_counter() - built
        mean_candidates = sum(n for _, n in pool) / len(pool)
        mean_bytes = sum(len(p) for p, _ in pool) / len(pool)
        log(f"{len(pool)} requests built in {build_seconds:.1f} s: {mean_candidates:.1f} candidates, "
            f"{mean_bytes / 1024:.1f} KiB on average; {args.rate:g} req/s for {args.warmup:g} + {args.duration:g} s ({args.mode})")

        offsets = arrival_offsets(args.rate, args.warmup + args.duration, rng_arrivals)
        recorder = Recorder(args.warmup, args.warmup + args.duration)
        cpu0 = time.process_time()
        run = run_aio if args.mode == "aio" else run_threads
        start, last_send = run(grpc, pb, method, args.target, pool, offsets, recorder, args)
        cpu = time.process_time() - cpu0
    finally:
        shutil.rmtree(work, ignore_errors=True)

    calls = list(recorder.calls)
    offered = sum(1 for o in offsets if recorder.recorded(o))
    statuses = collections.Counter(status for *_, status in calls)
    if recorder.dropped:
        statuses["CLIENT_DROPPED"] = recorder.dropped
    unanswered = offered - len(calls) - recorder.dropped
    if unanswered > 0:
        statuses["CLIENT_ABANDONED"] = unanswered
    ok = statuses.get("OK", 0)
    wall = last_send - start
    result = {
        "client": "loadtest/python/open_loop.py",
        "mode": args.mode,
        "method": args.method,
        "target": args.target,
        "model": args.model,
        "workload": f"replay {args.data}" if args.data else f"synthetic ({args.synthetic_rows} rows)",
        "candidates": args.candidates,
        "poolSize": len(pool),
        "meanCandidatesPerRequest": round(mean_candidates, 1),
        "meanRequestBytes": round(mean_bytes),
        "seed": args.seed,
        "rate": args.rate,
        "warmupSeconds": args.warmup,
        "durationSeconds": args.duration,
        "offered": offered,
        "offeredRate": round(offered / args.duration, 2),
        "sent": len(calls) + unanswered,
        "completed": len(calls),
        "ok": ok,
        "okPerSecond": round(ok / args.duration, 2),
        "statusCounts": dict(sorted(statuses.items())),
        "latencyMs": summary_ms([done - intended for intended, _, done, _ in calls]),
        "sendLagMs": summary_ms([sent - intended for intended, sent, _, _ in calls]),
        "clientCpuSeconds": round(cpu, 2),
        "clientCpuShare": round(cpu / wall, 3) if wall > 0 else None,
    }
    latency, lag = result["latencyMs"], result["sendLagMs"]
    log(f"offered {offered} ({result['offeredRate']}/s), OK {ok} ({result['okPerSecond']}/s), statuses {result['statusCounts']}")
    log(f"latency ms p50 {latency['p50']} p90 {latency['p90']} p99 {latency['p99']} p99.9 {latency['p999']} max {latency['max']}; "
        f"send lag p99 {lag['p99']} ms; client CPU {result['clientCpuShare']} of a core")
    text = json.dumps(result, indent=2)
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
