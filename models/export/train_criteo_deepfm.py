#!/usr/bin/python3
"""Train DeepFM on the Criteo sample and export models/criteo-deepfm (config.json, 1/model.onnx, 1/fixture.json).

Run from the repository root:

  /usr/bin/python3 models/export/train_criteo_deepfm.py --data /path/to/criteo_train_10k.txt

The production-size model (the DeepFM paper's setting: embedding dim 10, MLP 400-400-400, ReLU, dropout 0.5)
is the same script with other arguments; it writes models/criteo-deepfm-xl:

  /usr/bin/python3 models/export/train_criteo_deepfm.py --data /path/to/criteo_train_10k.txt \
      --name criteo-deepfm-xl --dim 10 --hidden 400,400,400 --slo-p99-ms 25 --description-note "..."

--data (required) is a Criteo click-log sample you supply: the first 10,000 lines of the Criteo
Display Advertising Challenge train.txt (tab-separated, no header: label, 13 integer, 26 categorical
columns). The recorded figures in models/criteo-deepfm/config.json come from exactly those rows; the file's
name is recorded as quality.dataset, so name it criteo_train_10k.txt to rewrite config.json byte for byte.

Split: rows 0..7999 train, rows 8000..9999 holdout (used only for the recorded figures).
Model selection (epoch count) uses the last 1,000 train rows as a validation slice; the final model
is then refit on all 8,000 train rows for that many epochs. The holdout is never used to choose anything.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path
from typing import Dict, List

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
from common import FeatureSpec  # noqa: E402

NAME = "criteo-deepfm"
SEED = 20240601
VALID_ROWS = 1000  # last rows of the train part, for early stopping
# Buckets per field: the next power of two >= the field's distinct values in the first 7,000 rows
# (+1 for the missing bucket 0), clamped to [16, 4096] (common.choose_buckets).


def feature_specs(buckets: Dict[str, int]) -> List[FeatureSpec]:
    feats = [FeatureSpec(k, "dense", "dense", i, transform="log1p", default=0) for i, k in enumerate(common.CRITEO_DENSE)]
    feats += [FeatureSpec(k, "sparse", "sparse", i, buckets=buckets[k], default=0) for i, k in enumerate(common.CRITEO_SPARSE)]
    return feats


class DeepFM(nn.Module):
    """DeepFM (Guo et al. 2017) over 26 hashed categorical fields and 13 numeric fields.

    Inputs: dense float32 [batch, 13] (already log1p-transformed), sparse int64 [batch, 26]
    (bucket ids per field; per-field offsets into the shared tables are added here).
    Numeric fields are standardized with constants from the train rows, enter the linear part
    directly and the FM/deep parts as value-scaled embedding vectors.
    Output: ctr float32 [batch] (sigmoid probability).
    """

    def __init__(self, buckets: List[int], n_dense: int, dim: int, hidden: List[int], dropout: float,
                 dense_mean: np.ndarray, dense_std: np.ndarray):
        super().__init__()
        offsets = np.concatenate([[0], np.cumsum(buckets)[:-1]]).astype(np.int64)
        self.register_buffer("offsets", torch.from_numpy(offsets))
        self.register_buffer("dense_mean", torch.from_numpy(dense_mean.astype(np.float32)))
        self.register_buffer("dense_inv_std", torch.from_numpy((1.0 / dense_std).astype(np.float32)))
        total = int(sum(buckets))
        self.emb = nn.Embedding(total, dim)
        self.lin = nn.Embedding(total, 1)
        self.dense_vec = nn.Parameter(torch.empty(n_dense, dim))
        self.dense_lin = nn.Linear(n_dense, 1)
        nn.init.normal_(self.emb.weight, std=0.01)
        nn.init.zeros_(self.lin.weight)
        nn.init.normal_(self.dense_vec, std=0.01)
        layers: List[nn.Module] = []
        width = (len(buckets) + n_dense) * dim
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU(), nn.Dropout(dropout)]
            width = h
        layers.append(nn.Linear(width, 1))
        self.mlp = nn.Sequential(*layers)

    def logits(self, dense: torch.Tensor, sparse: torch.Tensor):
        idx = sparse + self.offsets
        x = (dense - self.dense_mean) * self.dense_inv_std
        e = self.emb(idx)                                   # [B, 26, k]
        de = x.unsqueeze(2) * self.dense_vec                # [B, 13, k]
        v = torch.cat([e, de], dim=1)                       # [B, 39, k]
        s = v.sum(dim=1)
        fm = 0.5 * (s * s - (v * v).sum(dim=1)).sum(dim=1, keepdim=True)
        first = self.lin(idx).sum(dim=1) + self.dense_lin(x)
        deep = self.mlp(torch.flatten(v, 1))
        return (first + fm + deep).squeeze(1), e

    def forward(self, dense: torch.Tensor, sparse: torch.Tensor) -> torch.Tensor:
        z, _ = self.logits(dense, sparse)
        return torch.sigmoid(z)


def build(args, buckets: Dict[str, int], enc_train: Dict[str, np.ndarray]) -> DeepFM:
    d = enc_train["dense"]
    mean = d.mean(axis=0)
    std = d.std(axis=0)
    std[std < 1e-6] = 1.0
    return DeepFM([buckets[k] for k in common.CRITEO_SPARSE], len(common.CRITEO_DENSE), args.dim,
                  [int(h) for h in args.hidden.split(",") if h], args.dropout, mean, std)


def train(args, buckets, enc_fit, y_fit, epochs: int, enc_val=None, y_val=None, log=print, keep_preds=None):
    """Train for `epochs`; with a validation slice, also return the best epoch (by validation logloss)."""
    common.set_seeds(args.seed)
    model = build(args, buckets, enc_fit)
    tables = [model.emb.weight, model.lin.weight]
    other = [p for n, p in model.named_parameters() if n not in ("emb.weight", "lin.weight")]
    # weight decay (coupled L2) on the dense layers; the tables get explicit L2 below
    opt = torch.optim.Adam([{"params": tables, "weight_decay": 0.0},
                            {"params": other, "weight_decay": args.wd}], lr=args.lr)

    def penalty(m: DeepFM, xs, e):
        # L2 on the embedding rows used by this batch (DeepCTR-style) ...
        reg = args.emb_l2 * (e.pow(2).sum() + m.lin(xs[1] + m.offsets).pow(2).sum()) / len(e)
        # ... and on the whole tables (as in an L2-regularized logistic regression)
        return reg + args.lin_l2 * m.lin.weight.pow(2).sum() + args.table_l2 * m.emb.weight.pow(2).sum()

    val = None if enc_val is None else [enc_val["dense"], enc_val["sparse"]]
    best, history = common.train_loop(model, opt, [enc_fit["dense"], enc_fit["sparse"]], y_fit, epochs=epochs,
                                      batch=args.batch, seed=args.seed, penalty=penalty, val_inputs=val,
                                      y_val=y_val, log=log, keep_preds=keep_preds)
    return model, best, history


def fixture_inputs(n: int = 32, seed: int = 7):
    """Synthetic candidates: random hex strings, random other strings, random small ints, some missing."""
    rng = random.Random(seed)
    sparse = {}
    for k in common.CRITEO_SPARSE:
        col = []
        for _ in range(n):
            r = rng.random()
            col.append("" if r < 0.12 else common.random_token(rng) if r < 0.25 else common.random_hex(rng))
        sparse[k] = col
    dense = {}
    for k in common.CRITEO_DENSE:
        col = []
        for _ in range(n):
            r = rng.random()
            if r < 0.15:
                col.append(None)
            elif r < 0.2:
                col.append(float(rng.randint(-3, -1)))       # negative: log1p(max(x, 0)) = 0
            elif r < 0.25:
                col.append(float(rng.randint(1000, 200000)))  # large
            elif r < 0.3:
                col.append(rng.randint(0, 40) + 0.5)          # non-integer, exact in float32
            else:
                col.append(float(rng.randint(0, 60)))
        dense[k] = col
    return sparse, dense


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    common.add_training_args(ap, name=NAME, seed=SEED,
                             data_help="Criteo click-log sample you supply (train.txt rows: tab-separated, label + "
                                       "13 integer + 26 categorical columns), e.g. /path/to/criteo_train_10k.txt",
                             lr=1e-3, lin_l2=3e-3, table_l2=1e-2, max_epochs=20)
    ap.add_argument("--name", default=NAME, help="model name: config.json's name and, without --out, the folder "
                                                 "models/<name>")
    ap.add_argument("--slo-p99-ms", type=float, default=10, help="config.json sloP99Ms")
    ap.add_argument("--description-note", default="", help="sentence appended to config.json's description "
                                                           "(e.g. why the SLO is what it is)")
    args = ap.parse_args()
    if args.out is None:
        args.out = str(common.MODELS_DIR / args.name)

    data_path = common.resolve_data(args.data)
    ds = common.load_criteo(data_path)
    train_ds, hold_ds = common.split(ds)
    fit_ds, val_ds = common.split_valid(train_ds, VALID_ROWS)

    buckets = common.choose_buckets(fit_ds, common.CRITEO_SPARSE, args.bucket_scale, args.bucket_min, args.bucket_max)
    feats = feature_specs(buckets)

    def enc(d: common.Dataset):
        return common.encode(d.sparse, d.dense, feats, len(d), seed=0)

    enc_fit, enc_val, enc_train = enc(fit_ds), enc(val_ds), enc(train_ds)

    # 1) choose the epoch count on the validation slice of the train rows
    _, best, _ = train(args, buckets, enc_fit, fit_ds.labels, args.max_epochs, enc_val, val_ds.labels)
    best_ll, best_ep, best_auc = best
    print(f"best epoch {best_ep}: valid AUC {best_auc:.4f} logloss {best_ll:.4f}")
    if args.tune:
        return 0

    # 2) refit on all 8,000 train rows for that many epochs
    model, _, _ = train(args, buckets, enc_train, train_ds.labels, best_ep)
    model.eval()

    out = Path(args.out)
    onnx_path = out / "1" / "model.onnx"
    enc_hold = enc(hold_ds)
    common.export_onnx(model, {"dense": enc_hold["dense"][:4], "sparse": enc_hold["sparse"][:4]}, onnx_path)

    # holdout figures through the exported graph (NumPy evaluator), cross-checked with torch
    ev = common.OnnxNumpyEvaluator(onnx_path)
    p_onnx = ev.run({"dense": enc_hold["dense"], "sparse": enc_hold["sparse"]})[0].reshape(-1)
    p_torch = common.predict(model, [enc_hold["dense"], enc_hold["sparse"]])
    diff = float(np.max(np.abs(p_onnx - p_torch)))
    h_auc, h_ll = common.auc(hold_ds.labels, p_onnx), common.logloss(hold_ds.labels, p_onnx)
    print(f"holdout AUC {h_auc:.4f} logloss {h_ll:.4f} (ONNX graph; torch AUC {common.auc(hold_ds.labels, p_torch):.4f}, "
          f"max |onnx - torch| {diff:.2e})")
    if diff > 1e-5:
        raise SystemExit("ONNX graph and torch model disagree")

    common.write_config(
        out / "config.json", name=args.name,
        description=(f"DeepFM (embedding dim {args.dim}, MLP {args.hidden}) on the Criteo DAC sample"
                     + (f". {args.description_note}" if args.description_note else "")),
        inputs=[{"name": "dense", "type": "float32", "columns": 13},
                {"name": "sparse", "type": "int64", "columns": 26}],
        output="ctr", features=feats, dataset=data_path.name, auc_value=h_auc, logloss_value=h_ll,
        train_rows=len(train_ds), holdout_rows=len(hold_ds), slo_p99_ms=int(args.slo_p99_ms) if float(args.slo_p99_ms).is_integer() else args.slo_p99_ms)

    fx_sparse, fx_dense = fixture_inputs()
    fx_enc = common.encode(fx_sparse, fx_dense, feats, 32, seed=0)
    with torch.no_grad():
        fx_scores = model(torch.from_numpy(fx_enc["dense"]), torch.from_numpy(fx_enc["sparse"])).numpy()
    fx_onnx = ev.run(fx_enc)[0].reshape(-1)
    if float(np.max(np.abs(fx_onnx - fx_scores))) > 1e-6:
        raise SystemExit("fixture: ONNX graph and torch model disagree")
    common.write_fixture(out / "1" / "fixture.json", fx_sparse, fx_dense, [float(s) for s in fx_scores])

    info = common.onnx_io_summary(onnx_path)
    print(f"wrote {out}: model.onnx {onnx_path.stat().st_size} bytes, opset {info['opset']}, "
          f"inputs {info['inputs']}, outputs {info['outputs']}, ops {info['ops']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
