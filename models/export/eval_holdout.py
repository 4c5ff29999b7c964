#!/usr/bin/python3
"""Score a model's holdout rows through a running Serving instance and compare with the recorded figures.

Usage (from the repository root, with the server listening for gRPC on 127.0.0.1:8081):

  /usr/bin/python3 models/export/eval_holdout.py --model criteo-deepfm --data /path/to/criteo_train_10k.txt
  /usr/bin/python3 models/export/eval_holdout.py --model avazu-dcn --data /path/to/avazu_train_10k.csv --target 127.0.0.1:8081

--data (required) is the click-log sample the model was trained on, a file you supply: the one
named by the config's quality.dataset (criteo_train_10k.txt: the first 10,000 lines of the Criteo
DAC train.txt; avazu_train_10k.csv: the header and first 9,999 rows of the Avazu train.csv).

It reads models/<model>/config.json, takes the last quality.holdoutRows rows of the --data file,
sends them as raw values (missing categorical -> "", missing numeric -> NaN) in RankService.Rank
requests of --batch candidates, and computes AUC and logloss of the returned scores. It prints them next to
the recorded holdoutAuc / holdoutLogloss and exits 1 if |AUC - recorded| > --tolerance (default
0.003), 2 on an RPC or protocol error. Unless --no-local is given it also scores the same rows
locally through the exported model.onnx (NumPy evaluator, same encoding) and prints the largest
|server - local| difference per row (informational).

Message types: generated at run time from src/Serving.Contracts/Protos/serving/ranking/v1/ranking.proto
with grpc_tools.protoc (Debian: python3-grpc-tools) after stripping its google.api.http options;
without grpc_tools, a hand-built descriptor that mirrors the same messages is used.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

PROTO = common.REPO_ROOT / "src" / "Serving.Contracts" / "Protos" / "serving" / "ranking" / "v1" / "ranking.proto"
PACKAGE = "serving.ranking.v1"
RANK_METHOD = f"/{PACKAGE}.RankingService/Rank"
GET_MODEL_METHOD = f"/{PACKAGE}.RankingService/GetModel"


# --------------------------------------------------------------------------------------------
# Message classes
# --------------------------------------------------------------------------------------------

def _strip_http_options(text: str) -> str:
    """Remove the google/api/annotations import and every `option (google.api.http) = {...};` block."""
    text = re.sub(r'^\s*import\s+"google/api/[^"]+";\s*$', "", text, flags=re.M)
    out = []
    i = 0
    pat = re.compile(r"option\s*\(\s*google\.api\.http\s*\)\s*=\s*\{")
    while True:
        m = pat.search(text, i)
        if not m:
            out.append(text[i:])
            break
        out.append(text[i:m.start()])
        depth, j = 1, m.end()
        while depth and j < len(text):
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            j += 1
        while j < len(text) and text[j] in " \t\r\n":
            j += 1
        if j < len(text) and text[j] == ";":
            j += 1
        i = j
    return "".join(out)


def _file_proto_from_protoc(proto_path: Path):
    from google.protobuf import descriptor_pb2
    from grpc_tools import protoc

    with tempfile.TemporaryDirectory(prefix="ranking-proto-") as tmp:
        rel = Path("serving/ranking/v1/ranking.proto")
        dst = Path(tmp) / rel
        dst.parent.mkdir(parents=True)
        dst.write_text(_strip_http_options(proto_path.read_text(encoding="utf-8")), encoding="utf-8")
        out = Path(tmp) / "ranking.desc"
        rc = protoc.main(["protoc", f"-I{tmp}", f"--descriptor_set_out={out}", str(rel)])
        if rc != 0:
            raise RuntimeError(f"protoc failed on {proto_path} (exit {rc})")
        fds = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())
    return fds.file[0]


def _file_proto_by_hand():
    """Mirror of ranking.proto (messages used here) without the http options."""
    from google.protobuf import descriptor_pb2 as d

    F = d.FieldDescriptorProto
    fp = d.FileDescriptorProto(name="serving/ranking/v1/ranking.proto", package=PACKAGE, syntax="proto3")

    def msg(name: str, fields: List[Tuple[str, int, int, int, Optional[str]]]):
        m = fp.message_type.add(name=name)
        for fname, number, ftype, label, tname in fields:
            f = m.field.add(name=fname, number=number, type=ftype, label=label, json_name=_json_name(fname))
            if tname:
                f.type_name = f".{PACKAGE}.{tname}"

    opt, rep = F.LABEL_OPTIONAL, F.LABEL_REPEATED
    pr = fp.enum_type.add(name="Priority")
    pr.value.add(name="PRIORITY_NORMAL", number=0)
    pr.value.add(name="PRIORITY_BEST_EFFORT", number=1)
    fk = fp.enum_type.add(name="FeatureKind")
    for n_, v_ in (("FEATURE_KIND_UNSPECIFIED", 0), ("FEATURE_KIND_SPARSE", 1), ("FEATURE_KIND_DENSE", 2)):
        fk.value.add(name=n_, number=v_)
    msg("RankRequest", [("model", 1, F.TYPE_STRING, opt, None), ("version", 2, F.TYPE_STRING, opt, None),
                        ("request_id", 3, F.TYPE_STRING, opt, None), ("context", 4, F.TYPE_MESSAGE, opt, "Features"),
                        ("candidates", 5, F.TYPE_MESSAGE, opt, "Features"),
                        ("candidate_count", 6, F.TYPE_INT32, opt, None), ("budget_ms", 7, F.TYPE_UINT32, opt, None),
                        ("priority", 8, F.TYPE_ENUM, opt, "Priority")])
    msg("Features", [("sparse", 1, F.TYPE_MESSAGE, rep, "SparseColumn"), ("dense", 2, F.TYPE_MESSAGE, rep, "DenseColumn")])
    msg("SparseColumn", [("name", 1, F.TYPE_STRING, opt, None), ("values", 2, F.TYPE_STRING, rep, None),
                         ("ids", 3, F.TYPE_INT64, rep, None)])
    msg("DenseColumn", [("name", 1, F.TYPE_STRING, opt, None), ("values", 2, F.TYPE_FLOAT, rep, None)])
    msg("RankResponse", [("scores", 1, F.TYPE_FLOAT, rep, None), ("model", 2, F.TYPE_STRING, opt, None),
                         ("version", 3, F.TYPE_STRING, opt, None), ("request_id", 4, F.TYPE_STRING, opt, None),
                         ("timing", 5, F.TYPE_MESSAGE, opt, "Timing")])
    msg("Timing", [("queue_ms", 1, F.TYPE_DOUBLE, opt, None), ("compute_ms", 2, F.TYPE_DOUBLE, opt, None),
                   ("device", 3, F.TYPE_STRING, opt, None), ("batch_rows", 4, F.TYPE_INT32, opt, None),
                   ("total_ms", 5, F.TYPE_DOUBLE, opt, None)])
    msg("GetModelRequest", [("model", 1, F.TYPE_STRING, opt, None), ("version", 2, F.TYPE_STRING, opt, None)])
    msg("FeatureInfo", [("name", 1, F.TYPE_STRING, opt, None), ("kind", 2, F.TYPE_ENUM, opt, "FeatureKind"),
                        ("input", 3, F.TYPE_STRING, opt, None), ("column", 4, F.TYPE_INT32, opt, None),
                        ("hash", 5, F.TYPE_STRING, opt, None), ("buckets", 6, F.TYPE_INT64, opt, None),
                        ("transform", 7, F.TYPE_STRING, opt, None), ("default_value", 8, F.TYPE_DOUBLE, opt, None)])
    msg("ModelQuality", [("dataset", 1, F.TYPE_STRING, opt, None), ("train_rows", 2, F.TYPE_INT32, opt, None),
                         ("holdout_rows", 3, F.TYPE_INT32, opt, None), ("holdout_auc", 4, F.TYPE_DOUBLE, opt, None),
                         ("holdout_logloss", 5, F.TYPE_DOUBLE, opt, None)])
    msg("ModelInfo", [("name", 1, F.TYPE_STRING, opt, None), ("version", 2, F.TYPE_STRING, opt, None),
                      ("versions", 3, F.TYPE_STRING, rep, None), ("default_version", 4, F.TYPE_STRING, opt, None),
                      ("features", 5, F.TYPE_MESSAGE, rep, "FeatureInfo"), ("output", 6, F.TYPE_STRING, opt, None),
                      ("slo_p99_ms", 7, F.TYPE_DOUBLE, opt, None), ("quality", 8, F.TYPE_MESSAGE, opt, "ModelQuality"),
                      ("ready", 9, F.TYPE_BOOL, opt, None), ("hash_seed", 10, F.TYPE_UINT64, opt, None)])
    return fp


def _json_name(name: str) -> str:
    parts = name.split("_")
    return parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])


def load_messages(mode: str = "auto") -> Tuple[Dict[str, type], str]:
    """{short message name: class}, and where the descriptor came from."""
    from google.protobuf import descriptor_pool, message_factory

    fp, source = None, ""
    if mode in ("auto", "protoc"):
        try:
            fp, source = _file_proto_from_protoc(PROTO), f"protoc ({PROTO.relative_to(common.REPO_ROOT)})"
        except Exception as exc:  # grpc_tools missing, or the proto moved
            if mode == "protoc":
                raise
            print(f"note: protoc route unavailable ({exc}); using the hand-built descriptor", file=sys.stderr)
    if fp is None:
        fp, source = _file_proto_by_hand(), "hand-built descriptor"
    pool = descriptor_pool.DescriptorPool()  # private pool: no clash with anything else loaded
    pool.Add(fp)
    factory = message_factory.MessageFactory(pool)
    classes = {}
    for m in fp.message_type:
        desc = pool.FindMessageTypeByName(f"{fp.package}.{m.name}")
        get_class = getattr(message_factory, "GetMessageClass", None)  # protobuf >= 4.22
        classes[m.name] = get_class(desc) if get_class else factory.GetPrototype(desc)
    return classes, source


# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------

def load_rows(path: Path, cfg: dict) -> common.Dataset:
    """Load the dataset file the config names (Criteo DAC .txt or Avazu .csv)."""
    if path.suffix == ".csv":
        ds, _ = common.load_avazu(path)
    else:
        ds = common.load_criteo(path)
    n = int(cfg["quality"].get("holdoutRows", common.HOLDOUT_ROWS))
    if len(ds) < n:
        raise SystemExit(f"{path}: {len(ds)} rows, fewer than holdoutRows {n}")
    return ds.slice(len(ds) - n, len(ds))


def build_request(M: Dict[str, type], model: str, version: str, ds: common.Dataset, features: List[dict],
                  start: int, stop: int, request_id: str):
    req = M["RankRequest"](model=model, version=version, request_id=request_id, candidate_count=stop - start)
    for f in features:
        name = f["name"]
        if f["kind"] == "sparse":
            col = req.candidates.sparse.add(name=name)
            src = ds.sparse.get(name)
            col.values.extend([("" if src is None or src[i] is None else src[i]) for i in range(start, stop)])
        else:
            col = req.candidates.dense.add(name=name)
            src = ds.dense.get(name)
            col.values.extend([(math.nan if src is None or src[i] is None else float(src[i])) for i in range(start, stop)])
    return req


# --------------------------------------------------------------------------------------------

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--target", default="127.0.0.1:8081", help="gRPC host:port of the server (plaintext HTTP/2)")
    ap.add_argument("--model", required=True, help="model name, e.g. criteo-deepfm or avazu-dcn")
    ap.add_argument("--version", default="", help="model version; empty = the server's default version")
    ap.add_argument("--config", help="config.json (default: models/<model>/config.json)")
    ap.add_argument("--data", metavar="PATH",
                    help="required: the click-log sample named by the config's quality.dataset, a file you supply, "
                         "e.g. /path/to/criteo_train_10k.txt (relative paths: from the repo root)")
    ap.add_argument("--batch", type=int, default=100, help="candidates per request")
    ap.add_argument("--tolerance", type=float, default=0.003, help="allowed |AUC - recorded|")
    ap.add_argument("--timeout", type=float, default=10.0, help="per-call deadline in seconds")
    ap.add_argument("--wait", type=float, default=0.0, help="seconds to wait for the server to answer GetModel first")
    ap.add_argument("--descriptor", choices=["auto", "protoc", "hand"], default="auto",
                    help="where the message types come from (default: protoc if available, else hand-built)")
    ap.add_argument("--no-local", action="store_true", help="skip the local ONNX comparison")
    args = ap.parse_args()

    cfg_path = Path(args.config) if args.config else common.MODELS_DIR / args.model / "config.json"
    cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
    q = cfg.get("quality", {})
    if not args.data:  # required, checked here so the message can name the file this model expects
        ds_name = q.get("dataset") or "criteo_train_10k.txt"
        ap.error(f"--data is required: the click-log sample {args.model} was trained on ({ds_name}, named by "
                 f"quality.dataset in {cfg_path}; a file you supply, not in this repository), "
                 f"e.g. --data /path/to/{ds_name}")
    data_path = Path(args.data)
    hold = load_rows(common.resolve_data(str(data_path)), cfg)
    n = len(hold)

    import grpc

    M, source = load_messages(args.descriptor)
    ser = lambda m: m.SerializeToString()  # noqa: E731
    channel = grpc.insecure_channel(args.target)
    rank = channel.unary_unary(RANK_METHOD, request_serializer=ser, response_deserializer=M["RankResponse"].FromString)
    get_model = channel.unary_unary(GET_MODEL_METHOD, request_serializer=ser,
                                    response_deserializer=M["ModelInfo"].FromString)
    print(f"target {args.target}, model {args.model}, {n} holdout rows of {data_path.name}, "
          f"batches of {args.batch}, messages from {source}")

    deadline = time.monotonic() + args.wait
    while True:
        try:
            info = get_model(M["GetModelRequest"](model=args.model, version=args.version), timeout=args.timeout)
            print(f"server: {info.name} version {info.version} (versions {list(info.versions)}), ready={info.ready}, "
                  f"recorded AUC {info.quality.holdout_auc:.6f}")
            if info.ready or time.monotonic() >= deadline:
                break
        except grpc.RpcError as exc:
            if time.monotonic() >= deadline:
                print(f"note: GetModel failed: {exc.code()} {exc.details()}", file=sys.stderr)
                break
        time.sleep(0.5)

    scores = np.empty(n, dtype=np.float64)
    lat = []
    version = ""
    try:
        for start in range(0, n, args.batch):
            stop = min(n, start + args.batch)
            req = build_request(M, args.model, args.version, hold, cfg["features"], start, stop,
                                f"eval-{uuid.uuid4().hex[:12]}-{start}")
            t0 = time.perf_counter()
            resp = rank(req, timeout=args.timeout)
            lat.append((time.perf_counter() - t0) * 1000)
            if len(resp.scores) != stop - start:
                print(f"error: request {start}..{stop}: {len(resp.scores)} scores for {stop - start} candidates",
                      file=sys.stderr)
                return 2
            if resp.request_id != req.request_id:
                print(f"warning: request_id not echoed ({resp.request_id!r} != {req.request_id!r})", file=sys.stderr)
            version = resp.version
            scores[start:stop] = np.asarray(resp.scores, dtype=np.float64)
    except grpc.RpcError as exc:
        print(f"error: Rank failed: {exc.code()} {exc.details()}", file=sys.stderr)
        return 2
    finally:
        channel.close()

    if not np.all(np.isfinite(scores)) or np.any(scores < 0) or np.any(scores > 1):
        print("error: scores outside [0, 1] or not finite", file=sys.stderr)
        return 2

    got_auc, got_ll = common.auc(hold.labels, scores), common.logloss(hold.labels, scores)
    rec_auc, rec_ll = float(q.get("holdoutAuc", float("nan"))), float(q.get("holdoutLogloss", float("nan")))
    lat_s = sorted(lat)
    print(f"served version {version or '?'}: {len(lat)} requests, client latency p50 {lat_s[len(lat_s) // 2]:.2f} ms, "
          f"max {lat_s[-1]:.2f} ms")
    print(f"{'':10s}{'server':>12s}{'recorded':>12s}{'diff':>12s}")
    print(f"{'AUC':10s}{got_auc:12.6f}{rec_auc:12.6f}{got_auc - rec_auc:+12.6f}")
    print(f"{'logloss':10s}{got_ll:12.6f}{rec_ll:12.6f}{got_ll - rec_ll:+12.6f}")

    if not args.no_local:
        try:
            onnx_path = cfg_path.parent / (version or cfg.get("defaultVersion", "1")) / "model.onnx"
            feats = [common.FeatureSpec(f["name"], f["kind"], f["input"], int(f["column"]),
                                        transform=f.get("transform", "identity"), buckets=int(f.get("buckets", 0)),
                                        default=f.get("default", 0)) for f in cfg["features"]]
            feeds = common.encode(hold.sparse, hold.dense, feats, n, seed=int(cfg.get("hashSeed", 0)))
            local = common.OnnxNumpyEvaluator(onnx_path).run(feeds)[0].reshape(-1)
            print(f"local {onnx_path.relative_to(common.REPO_ROOT)}: max |server - local| per row "
                  f"{float(np.max(np.abs(scores - local))):.2e}")
        except Exception as exc:  # informational only
            print(f"note: local comparison skipped: {exc}", file=sys.stderr)

    if not abs(got_auc - rec_auc) <= args.tolerance:
        print(f"FAIL: |AUC - recorded| = {abs(got_auc - rec_auc):.6f} > {args.tolerance}")
        return 1
    print(f"OK: |AUC - recorded| = {abs(got_auc - rec_auc):.6f} <= {args.tolerance}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
