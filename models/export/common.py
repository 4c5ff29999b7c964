"""Shared code of the training/export scripts (not loaded by the server).

Implements the feature encoding of models/README.md exactly (the C# server implements the same
spec): sparse values are hashed with xxHash64 and reduced to a bucket, dense values get their
default when missing and then a transform. Also: data loading, AUC/logloss, ONNX export and a small
NumPy evaluator of the exported ONNX graph (Debian ships no onnxruntime for Python), and the
config.json / fixture.json writers.
"""

from __future__ import annotations

import csv
import json
import math
import os
import random
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence

import numpy as np
import xxhash

REPO_ROOT = Path(__file__).resolve().parents[2]
MODELS_DIR = REPO_ROOT / "models"
TRAIN_ROWS = 8000
HOLDOUT_ROWS = 2000
OPSET = 17  # highest opset of Debian bookworm's onnx 1.12 / torch 1.13


# --------------------------------------------------------------------------------------------
# Feature encoding (models/README.md, "Feature encoding")
# --------------------------------------------------------------------------------------------

def hash64(value: str, seed: int = 0) -> int:
    """Canonical XXH64 of the UTF-8 bytes of value: an unsigned 64-bit integer."""
    return xxhash.xxh64_intdigest(value.encode("utf-8"), seed)


def bucket_of_hash(h: int, buckets: int) -> int:
    """bucket = 1 + (h mod (buckets - 1)), h taken as unsigned 64-bit."""
    return 1 + ((h & 0xFFFFFFFFFFFFFFFF) % (buckets - 1))


def sparse_bucket(value: Optional[str], buckets: int, seed: int = 0, default: int = 0) -> int:
    """Bucket of a raw categorical value; missing (None or "") gives the feature's default."""
    if value is None or value == "":
        return default
    return bucket_of_hash(hash64(value, seed), buckets)


def signed_id(value: str, seed: int = 0) -> int:
    """The pre-hashed id a client may send: h reinterpreted as a signed 64-bit integer."""
    h = hash64(value, seed)
    return h - (1 << 64) if h >= (1 << 63) else h


def dense_value(x: Optional[float], transform: str, default: float = 0.0) -> np.float32:
    """Value written to the float32 tensor for a raw numeric value.

    The raw value travels as a protobuf float (float32), so it is rounded to float32 first;
    missing (None or NaN) becomes the default; then the transform, computed in double and stored
    as float32.
    """
    if x is None or (isinstance(x, float) and math.isnan(x)):
        x = default
    x = float(np.float32(x))
    if math.isnan(x):
        x = float(default)
    if transform == "identity":
        return np.float32(x)
    if transform == "log1p":
        return np.float32(math.log1p(max(x, 0.0)))
    raise ValueError(f"unknown transform {transform!r}")


class FeatureSpec:
    """One entry of config.json "features"."""

    def __init__(self, name: str, kind: str, input: str, column: int, *, transform: str = "identity",
                 buckets: int = 0, default: float = 0):
        self.name, self.kind, self.input, self.column = name, kind, input, column
        self.transform, self.buckets, self.default = transform, buckets, default

    def to_json(self) -> dict:
        if self.kind == "dense":
            return {"name": self.name, "kind": "dense", "input": self.input, "column": self.column,
                    "transform": self.transform, "default": self.default}
        return {"name": self.name, "kind": "sparse", "input": self.input, "column": self.column,
                "hash": "xxhash64", "buckets": self.buckets, "default": int(self.default)}


def encode(rows_sparse: Dict[str, Sequence[Optional[str]]], rows_dense: Dict[str, Sequence[Optional[float]]],
           features: List[FeatureSpec], n: int, seed: int = 0) -> Dict[str, np.ndarray]:
    """Encode columnar raw values into the model's input tensors ({input name: array}).

    A feature absent from rows_sparse/rows_dense is missing for every row.
    """
    cols: Dict[str, int] = {}
    for f in features:
        cols[f.input] = max(cols.get(f.input, 0), f.column + 1)
    out: Dict[str, np.ndarray] = {}
    for f in features:
        if f.input not in out:
            dtype = np.float32 if f.kind == "dense" else np.int64
            out[f.input] = np.zeros((n, cols[f.input]), dtype=dtype)
        if f.kind == "dense":
            vals = rows_dense.get(f.name)
            col = [dense_value(None if vals is None else vals[i], f.transform, f.default) for i in range(n)]
            out[f.input][:, f.column] = np.asarray(col, dtype=np.float32)
        else:
            vals = rows_sparse.get(f.name)
            col = [sparse_bucket(None if vals is None else vals[i], f.buckets, seed, int(f.default))
                   for i in range(n)]
            out[f.input][:, f.column] = np.asarray(col, dtype=np.int64)
    return out


# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------

CRITEO_DENSE = [f"I{i}" for i in range(1, 14)]
CRITEO_SPARSE = [f"C{i}" for i in range(1, 27)]


def resolve_data(path: str) -> Path:
    p = Path(path)
    return p if p.is_absolute() else (REPO_ROOT / p).resolve()


class Dataset:
    """Columnar raw data: labels, sparse string columns ("" = missing), dense float columns (None = missing)."""

    def __init__(self, labels: np.ndarray, sparse: Dict[str, List[str]], dense: Dict[str, List[Optional[float]]]):
        self.labels, self.sparse, self.dense = labels, sparse, dense

    def __len__(self) -> int:
        return len(self.labels)

    def slice(self, start: int, stop: int) -> "Dataset":
        return Dataset(self.labels[start:stop], {k: v[start:stop] for k, v in self.sparse.items()},
                       {k: v[start:stop] for k, v in self.dense.items()})


def load_criteo(path: Path) -> Dataset:
    """Criteo DAC train.txt: tab-separated, no header: label, I1..I13, C1..C26."""
    labels: List[int] = []
    dense: Dict[str, List[Optional[float]]] = {k: [] for k in CRITEO_DENSE}
    sparse: Dict[str, List[str]] = {k: [] for k in CRITEO_SPARSE}
    with open(path, "r", encoding="utf-8", newline="") as fh:
        for line in fh:
            parts = line.rstrip("\r\n").split("\t")
            if len(parts) != 40:
                raise ValueError(f"{path}: expected 40 columns, got {len(parts)}")
            labels.append(int(parts[0]))
            for i, k in enumerate(CRITEO_DENSE):
                v = parts[1 + i]
                dense[k].append(float(v) if v != "" else None)
            for i, k in enumerate(CRITEO_SPARSE):
                sparse[k].append(parts[14 + i])
    return Dataset(np.asarray(labels, dtype=np.float32), sparse, dense)


def load_avazu(path: Path, label: str = "click", drop: Sequence[str] = ("id", "click")):
    """Avazu train.csv: comma-separated with header (CRLF). Returns (Dataset, feature column names)."""
    with open(path, "r", encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        names = [h for h in header if h not in drop]
        idx = {h: i for i, h in enumerate(header)}
        labels: List[int] = []
        sparse: Dict[str, List[str]] = {k: [] for k in names}
        for row in reader:
            if not row:
                continue
            if len(row) != len(header):
                raise ValueError(f"{path}: expected {len(header)} columns, got {len(row)}")
            labels.append(int(row[idx[label]]))
            for k in names:
                sparse[k].append(row[idx[k]])
    return Dataset(np.asarray(labels, dtype=np.float32), sparse, {}), names


# --------------------------------------------------------------------------------------------
# Metrics
# --------------------------------------------------------------------------------------------

def auc(labels: Iterable[float], scores: Iterable[float]) -> float:
    """ROC AUC (Mann-Whitney, ties get the average rank)."""
    y = np.asarray(list(labels) if not isinstance(labels, np.ndarray) else labels, dtype=np.float64)
    s = np.asarray(list(scores) if not isinstance(scores, np.ndarray) else scores, dtype=np.float64)
    order = np.argsort(s, kind="mergesort")
    s_sorted = s[order]
    ranks = np.empty(len(s), dtype=np.float64)
    i = 0
    n = len(s)
    while i < n:
        j = i
        while j + 1 < n and s_sorted[j + 1] == s_sorted[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    pos = y > 0.5
    n_pos = int(pos.sum())
    n_neg = n - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def logloss(labels: Iterable[float], scores: Iterable[float], eps: float = 1e-7) -> float:
    y = np.asarray(list(labels) if not isinstance(labels, np.ndarray) else labels, dtype=np.float64)
    p = np.clip(np.asarray(list(scores) if not isinstance(scores, np.ndarray) else scores, dtype=np.float64),
                eps, 1 - eps)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


# --------------------------------------------------------------------------------------------
# Determinism
# --------------------------------------------------------------------------------------------

def set_seeds(seed: int) -> None:
    import torch
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    try:
        torch.use_deterministic_algorithms(True)
    except Exception:  # pragma: no cover - older torch
        pass


# --------------------------------------------------------------------------------------------
# ONNX export and a NumPy evaluator of the exported graph
# --------------------------------------------------------------------------------------------

def export_onnx(model, example_inputs: Dict[str, np.ndarray], path: Path, output_name: str = "ctr") -> None:
    """Export with a dynamic batch axis on every input and the output; checks the graph."""
    import onnx
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    names = list(example_inputs.keys())
    args = tuple(torch.from_numpy(example_inputs[k]) for k in names)
    dynamic_axes = {k: {0: "batch"} for k in names}
    dynamic_axes[output_name] = {0: "batch"}
    model.eval()
    kwargs = dict(input_names=names, output_names=[output_name], dynamic_axes=dynamic_axes,
                  opset_version=OPSET, do_constant_folding=True, export_params=True)
    try:
        torch.onnx.export(model, args, str(path), dynamo=False, **kwargs)  # torch >= 2.5
    except TypeError:
        torch.onnx.export(model, args, str(path), **kwargs)
    m = onnx.load(str(path))
    onnx.checker.check_model(m, full_check=True)
    m.producer_name = "serving-models-export"
    onnx.save(m, str(path))


class OnnxNumpyEvaluator:
    """Runs an exported ONNX graph with NumPy (only the ops our two models use).

    Used to compute the recorded holdout figures through the exported graph itself, since Debian
    has no Python onnxruntime. Any op outside the supported set raises.
    """

    def __init__(self, path: Path):
        import onnx
        from onnx import numpy_helper

        self.model = onnx.load(str(path))
        g = self.model.graph
        self.inits = {t.name: numpy_helper.to_array(t) for t in g.initializer}
        self.nodes = list(g.node)
        self.inputs = [i.name for i in g.input if i.name not in self.inits]
        self.outputs = [o.name for o in g.output]
        self.opset = next((o.version for o in self.model.opset_import if o.domain in ("", "ai.onnx")), OPSET)

    @staticmethod
    def _attrs(node) -> dict:
        from onnx import helper
        return {a.name: helper.get_attribute_value(a) for a in node.attribute}

    def run(self, feeds: Dict[str, np.ndarray]) -> List[np.ndarray]:
        from onnx import numpy_helper

        env: Dict[str, np.ndarray] = dict(self.inits)
        env.update(feeds)
        for node in self.nodes:
            a = self._attrs(node)
            x = [env[n] if n else None for n in node.input]
            op = node.op_type
            if op == "Constant":
                y = numpy_helper.to_array(a["value"]) if "value" in a else np.asarray(
                    a.get("value_float", a.get("value_int")))
            elif op == "Identity":
                y = x[0]
            elif op == "Gather":
                y = np.take(x[0], x[1].astype(np.int64), axis=a.get("axis", 0))
            elif op in ("Add", "Sub", "Mul", "Div"):
                f = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide}[op]
                y = f(x[0], x[1]).astype(np.result_type(x[0], x[1]))
            elif op == "MatMul":
                y = np.matmul(x[0], x[1])
            elif op == "Gemm":
                A = x[0].T if a.get("transA", 0) else x[0]
                B = x[1].T if a.get("transB", 0) else x[1]
                y = a.get("alpha", 1.0) * (A @ B)
                if len(x) > 2 and x[2] is not None:
                    y = y + a.get("beta", 1.0) * x[2]
                y = y.astype(np.float32)
            elif op == "Relu":
                y = np.maximum(x[0], 0).astype(x[0].dtype)
            elif op == "Sigmoid":
                y = (1.0 / (1.0 + np.exp(-x[0].astype(np.float64)))).astype(np.float32)
            elif op == "Pow":
                y = np.power(x[0], x[1]).astype(x[0].dtype)
            elif op in ("ReduceSum", "ReduceMean"):
                axes = a.get("axes")
                if axes is None and len(x) > 1 and x[1] is not None:
                    axes = x[1]
                axes = None if axes is None else tuple(int(v) for v in np.asarray(axes).reshape(-1))
                keep = bool(a.get("keepdims", 1))
                f = np.sum if op == "ReduceSum" else np.mean
                y = f(x[0], axis=axes, keepdims=keep).astype(x[0].dtype)
            elif op == "Unsqueeze":
                axes = a.get("axes") if "axes" in a else [int(v) for v in x[1].reshape(-1)]
                y = x[0]
                for ax in sorted(int(v) if v >= 0 else int(v) + y.ndim + 1 for v in axes):
                    y = np.expand_dims(y, ax)
            elif op == "Squeeze":
                axes = a.get("axes") if "axes" in a else (
                    [int(v) for v in x[1].reshape(-1)] if len(x) > 1 and x[1] is not None else None)
                y = np.squeeze(x[0], axis=None if axes is None else tuple(axes))
            elif op == "Concat":
                y = np.concatenate(x, axis=a["axis"])
            elif op == "Reshape":
                shape = [int(v) for v in x[1]]
                shape = [x[0].shape[i] if s == 0 else s for i, s in enumerate(shape)]
                y = x[0].reshape(shape)
            elif op == "Flatten":
                ax = a.get("axis", 1)
                y = x[0].reshape(int(np.prod(x[0].shape[:ax])), -1)
            elif op == "Shape":
                y = np.asarray(x[0].shape, dtype=np.int64)
            elif op == "Transpose":
                y = np.transpose(x[0], a.get("perm"))
            elif op == "Cast":
                from onnx import helper
                y = x[0].astype(helper.tensor_dtype_to_np_dtype(a["to"]))
            elif op == "Slice":
                starts, ends = x[1], x[2]
                axes = x[3] if len(x) > 3 and x[3] is not None else np.arange(len(starts))
                steps = x[4] if len(x) > 4 and x[4] is not None else np.ones(len(starts), dtype=np.int64)
                sl = [slice(None)] * x[0].ndim
                for s, e, ax, st in zip(starts, ends, axes, steps):
                    sl[int(ax)] = slice(int(s), int(e), int(st))
                y = x[0][tuple(sl)]
            else:
                raise NotImplementedError(f"ONNX op {op} is not supported by the NumPy evaluator")
            outs = y if isinstance(y, (list, tuple)) else [y]
            for name, val in zip(node.output, outs):
                env[name] = np.asarray(val)
        return [env[o] for o in self.outputs]


def onnx_io_summary(path: Path) -> dict:
    import onnx
    m = onnx.load(str(path))
    init = {t.name for t in m.graph.initializer}

    def shape(v):
        return [d.dim_param if d.dim_param else d.dim_value for d in v.type.tensor_type.shape.dim]

    def dtype(v):
        return onnx.TensorProto.DataType.Name(v.type.tensor_type.elem_type).lower()

    return {
        "inputs": [{"name": i.name, "type": dtype(i), "shape": shape(i)} for i in m.graph.input if i.name not in init],
        "outputs": [{"name": o.name, "type": dtype(o), "shape": shape(o)} for o in m.graph.output],
        "opset": [o.version for o in m.opset_import if o.domain in ("", "ai.onnx")][0],
        "ops": sorted({n.op_type for n in m.graph.node}),
    }


# --------------------------------------------------------------------------------------------
# config.json and fixture.json
# --------------------------------------------------------------------------------------------

def write_config(path: Path, *, name: str, description: str, inputs: List[dict], output: str,
                 features: List[FeatureSpec], dataset: str, auc_value: float, logloss_value: float,
                 train_rows: int = TRAIN_ROWS, holdout_rows: int = HOLDOUT_ROWS, hash_seed: int = 0, default_version: Optional[str] = None, slo_p99_ms: float = 10) -> dict:
    cfg = {
        "name": name,
        "description": description,
        "hashSeed": hash_seed,
        "inputs": inputs,
        "output": {"name": output},
        "features": [f.to_json() for f in features],
        "sloP99Ms": slo_p99_ms,
        "batching": {},
        "devices": {},
        "quality": {
            "dataset": dataset,
            "trainRows": int(train_rows),
            "holdoutRows": int(holdout_rows),
            "holdoutAuc": round(float(auc_value), 6),
            "holdoutLogloss": round(float(logloss_value), 6),
        },
    }
    if default_version is not None:  # without one, requests naming no version get the newest
        cfg["defaultVersion"] = default_version
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(cfg, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
    return cfg


def round_sig(x: float, digits: int = 9) -> float:
    """Round to `digits` significant digits (9 identifies any float32 exactly)."""
    return float(f"{float(x):.{digits}g}")


def write_fixture(path: Path, sparse: Dict[str, List[Optional[str]]], dense: Dict[str, List[Optional[float]]],
                  scores: Sequence[float]) -> None:
    n = len(scores)
    for k, v in list(sparse.items()) + list(dense.items()):
        if len(v) != n:
            raise ValueError(f"fixture column {k} has {len(v)} values, expected {n}")
    fx = {
        "candidateCount": n,
        "sparse": {k: [("" if s is None else s) for s in v] for k, v in sparse.items()},
        "dense": {k: [None if d is None else float(d) for d in v] for k, v in dense.items()},
        "scores": [round_sig(s) for s in scores],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(fx, fh, indent=2, ensure_ascii=False)
        fh.write("\n")


def random_hex(rng: random.Random, length: int = 8) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(length))


def random_token(rng: random.Random) -> str:
    """A random 'other' string: mixed case, digits, punctuation and some non-ASCII (UTF-8 check)."""
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_."
    s = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12)))
    if rng.random() < 0.25:
        s += rng.choice(["é", "ü", "ñ", "中", "€", "😀"])
    return s


# --------------------------------------------------------------------------------------------
# Split, buckets and the training loop shared by both scripts
# --------------------------------------------------------------------------------------------

def split(ds: Dataset):
    """Holdout = the last HOLDOUT_ROWS rows; train = the first TRAIN_ROWS rows before it.

    (The Avazu sample has 9,999 rows, so its train part is the first 7,999 rows: the two parts
    never share a row.)
    """
    n = len(ds)
    if n < HOLDOUT_ROWS + 1000:
        raise SystemExit(f"{n} rows: too few")
    n_train = min(TRAIN_ROWS, n - HOLDOUT_ROWS)
    return ds.slice(0, n_train), ds.slice(n - HOLDOUT_ROWS, n)


def split_valid(train: Dataset, valid_rows: int):
    """The train part without its last `valid_rows` rows (fit), and those rows (validation, for early stopping)."""
    n = len(train)
    return train.slice(0, n - valid_rows), train.slice(n - valid_rows, n)


def add_training_args(ap, *, name: str, data_help: str, seed: int, lr: float, lin_l2: float,
                      table_l2: float, max_epochs: int) -> None:
    """The options both training scripts take; the defaults that differ between them are arguments.

    --data is required: the click-log sample is a file the user supplies (it is never in this repository).
    """
    ap.add_argument("--data", required=True, metavar="PATH", help=f"{data_help} (relative paths: from the repo root)")
    ap.add_argument("--out", default=None, help=f"model folder to write (default: models/{name})")
    ap.add_argument("--seed", type=int, default=seed)
    ap.add_argument("--dim", type=int, default=8)
    ap.add_argument("--hidden", default="64,32")
    ap.add_argument("--dropout", type=float, default=0.5)
    ap.add_argument("--lr", type=float, default=lr)
    ap.add_argument("--wd", type=float, default=1e-2)
    ap.add_argument("--emb-l2", type=float, default=1e-4)
    ap.add_argument("--lin-l2", type=float, default=lin_l2)
    ap.add_argument("--table-l2", type=float, default=table_l2)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--max-epochs", type=int, default=max_epochs)
    ap.add_argument("--bucket-scale", type=float, default=1.0, help="buckets ~ distinct values x scale (power of 2)")
    ap.add_argument("--bucket-min", type=int, default=16)
    ap.add_argument("--bucket-max", type=int, default=4096)
    ap.add_argument("--tune", action="store_true", help="only report validation figures (no holdout, no export)")


def choose_buckets(ds: Dataset, names: Sequence[str], scale: float, lo: int, hi: int) -> Dict[str, int]:
    """Buckets per field: the next power of two >= distinct non-missing values x scale + 1, in [lo, hi]."""
    out = {}
    for k in names:
        distinct = len(set(v for v in ds.sparse[k] if v != ""))
        want = max(lo, int(distinct * scale) + 1)
        b = 1
        while b < want:
            b *= 2
        out[k] = int(min(hi, b))
    return out


def predict(model, inputs: Sequence[np.ndarray], batch: int = 4096) -> np.ndarray:
    """Probabilities of model(*inputs) in eval mode, float32."""
    import torch
    model.eval()
    out = []
    n = len(inputs[0])
    with torch.no_grad():
        for i in range(0, n, batch):
            out.append(model(*[torch.from_numpy(x[i:i + batch]) for x in inputs]).reshape(-1).numpy())
    return np.concatenate(out).astype(np.float32)


def train_loop(model, opt, inputs: Sequence[np.ndarray], y: np.ndarray, *, epochs: int, batch: int, seed: int,
               penalty=None, val_inputs: Optional[Sequence[np.ndarray]] = None, y_val: Optional[np.ndarray] = None,
               log=print, keep_preds: Optional[list] = None):
    """Minibatch training of model.logits(*xs) -> (logits [B], aux) with BCE + penalty(model, xs, aux).

    With a validation slice, returns the best epoch by validation logloss as (logloss, epoch, auc).
    """
    import torch
    import torch.nn as nn

    bce = nn.BCEWithLogitsLoss()
    xs_all = [torch.from_numpy(x) for x in inputs]
    yt = torch.from_numpy(y)
    n = len(yt)
    g = torch.Generator().manual_seed(seed)
    history = []
    best = (float("inf"), 0, None)
    for ep in range(1, epochs + 1):
        model.train()
        perm = torch.randperm(n, generator=g)
        total = 0.0
        for i in range(0, n, batch):
            b = perm[i:i + batch]
            xs = [x[b] for x in xs_all]
            z, aux = model.logits(*xs)
            loss = bce(z, yt[b])
            reg = penalty(model, xs, aux) if penalty is not None else 0.0
            opt.zero_grad()
            (loss + reg).backward()
            opt.step()
            total += float(loss) * len(b)
        msg = f"epoch {ep}: train logloss {total / n:.4f}"
        if val_inputs is not None:
            p = predict(model, val_inputs)
            va, vl = auc(y_val, p), logloss(y_val, p)
            history.append((ep, va, vl))
            if keep_preds is not None:
                keep_preds.append(p)
            msg += f"  valid AUC {va:.4f} logloss {vl:.4f}"
            if vl < best[0]:
                best = (vl, ep, va)
        log(msg)
    return best, history
