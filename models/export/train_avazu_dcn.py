#!/usr/bin/python3
"""Train DCN-v2 on the Avazu sample and export models/avazu-dcn (config.json, 1/model.onnx, 1/fixture.json).

Run from the repository root:

  /usr/bin/python3 models/export/train_avazu_dcn.py --data /path/to/avazu_train_10k.csv

--data (required) is an Avazu click-log sample you supply: the header and first 9,999 rows of the
Avazu train.csv (comma-separated; id, click, hour, C1, banner_pos, site_*, app_*, device_*, C14..C21).
The recorded figures in models/avazu-dcn/config.json come from exactly those rows; the file's
name is recorded as quality.dataset, so name it avazu_train_10k.csv to rewrite config.json byte for byte.

Split: the last 2,000 rows are the holdout (used only for the recorded figures); the train part is
the rows before it, at most 8,000 (the sample has 9,999 rows, so 7,999). Model selection (epoch
count) uses the last 1,000 train rows as a validation slice; the final model is then refit on all
train rows for that many epochs. The holdout is never used to choose anything.
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

NAME = "avazu-dcn"
SEED = 20240602
VALID_ROWS = 1000  # last rows of the train part, for early stopping


def feature_specs(names: List[str], buckets: Dict[str, int]) -> List[FeatureSpec]:
    return [FeatureSpec(k, "sparse", "sparse", i, buckets=buckets[k], default=0) for i, k in enumerate(names)]


class DCNv2(nn.Module):
    """DCN-v2 (Wang et al. 2021), parallel structure, plus a first-order (wide) term.

    Input: sparse int64 [batch, F] (bucket ids per field; per-field offsets into the shared tables
    are added here). x0 = concatenated field embeddings [batch, F*k]; cross layers
    x_{l+1} = x0 * (W_l x_l + b_l) + x_l (full-rank W_l); a ReLU MLP on x0 in parallel; the two are
    concatenated into a linear head, plus the sum of per-bucket first-order weights.
    Output: ctr float32 [batch] (sigmoid probability).
    """

    def __init__(self, buckets: List[int], dim: int, cross_layers: int, hidden: List[int], dropout: float):
        super().__init__()
        offsets = np.concatenate([[0], np.cumsum(buckets)[:-1]]).astype(np.int64)
        self.register_buffer("offsets", torch.from_numpy(offsets))
        total = int(sum(buckets))
        self.emb = nn.Embedding(total, dim)
        self.lin = nn.Embedding(total, 1)
        nn.init.normal_(self.emb.weight, std=0.01)
        nn.init.zeros_(self.lin.weight)
        d = len(buckets) * dim
        self.cross = nn.ModuleList([nn.Linear(d, d) for _ in range(cross_layers)])
        for c in self.cross:
            nn.init.normal_(c.weight, std=0.01)
            nn.init.zeros_(c.bias)
        layers: List[nn.Module] = []
        width = d
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU(), nn.Dropout(dropout)]
            width = h
        self.mlp = nn.Sequential(*layers)
        self.head = nn.Linear(d + width, 1)

    def logits(self, sparse: torch.Tensor):
        idx = sparse + self.offsets
        e = self.emb(idx)                                    # [B, F, k]
        x0 = torch.flatten(e, 1)                             # [B, F*k]
        x = x0
        for c in self.cross:
            x = x0 * c(x) + x
        deep = self.mlp(x0)
        z = self.head(torch.cat([x, deep], dim=1)) + self.lin(idx).sum(dim=1)
        return z.squeeze(1), e

    def forward(self, sparse: torch.Tensor) -> torch.Tensor:
        z, _ = self.logits(sparse)
        return torch.sigmoid(z)


def train(args, buckets: List[int], x_fit, y_fit, epochs: int, x_val=None, y_val=None, log=print, keep_preds=None):
    """Train for `epochs`; with a validation slice, also return the best epoch (by validation logloss)."""
    common.set_seeds(args.seed)
    model = DCNv2(buckets, args.dim, args.cross, [int(h) for h in args.hidden.split(",") if h], args.dropout)
    tables = [model.emb.weight, model.lin.weight]
    other = [p for n, p in model.named_parameters() if n not in ("emb.weight", "lin.weight")]
    opt = torch.optim.Adam([{"params": tables, "weight_decay": 0.0},
                            {"params": other, "weight_decay": args.wd}], lr=args.lr)

    def penalty(m: DCNv2, xs, e):
        reg = args.emb_l2 * (e.pow(2).sum() + m.lin(xs[0] + m.offsets).pow(2).sum()) / len(e)
        return reg + args.lin_l2 * m.lin.weight.pow(2).sum() + args.table_l2 * m.emb.weight.pow(2).sum()

    best, history = common.train_loop(model, opt, [x_fit], y_fit, epochs=epochs, batch=args.batch, seed=args.seed,
                                      penalty=penalty, val_inputs=None if x_val is None else [x_val], y_val=y_val,
                                      log=log, keep_preds=keep_preds)
    return model, best, history


def fixture_inputs(names: List[str], n: int = 32, seed: int = 11):
    """Synthetic candidates: random hex ids, random small ints, random other strings, some missing."""
    rng = random.Random(seed)
    small_int = {"C1", "banner_pos", "device_type", "device_conn_type", "C15", "C16", "C18", "C19", "C20", "C21"}
    sparse = {}
    for k in names:
        col = []
        for _ in range(n):
            r = rng.random()
            if r < 0.12:
                col.append("")
            elif r < 0.25:
                col.append(common.random_token(rng))
            elif k == "hour":
                col.append(f"{rng.randint(14, 30):02d}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 23):02d}")
            elif k in small_int or k.startswith("C"):
                col.append(str(rng.randint(-1, 2000) if r < 0.6 else rng.randint(0, 9)))
            else:
                col.append(common.random_hex(rng))
        sparse[k] = col
    return sparse


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    common.add_training_args(ap, name=NAME, seed=SEED,
                             data_help="Avazu click-log sample you supply (train.csv rows with its header), "
                                       "e.g. /path/to/avazu_train_10k.csv",
                             lr=2e-3, lin_l2=3e-4, table_l2=1e-3, max_epochs=16)
    ap.add_argument("--cross", type=int, default=2, help="cross layers")
    args = ap.parse_args()

    data_path = common.resolve_data(args.data)
    ds, names = common.load_avazu(data_path)
    train_ds, hold_ds = common.split(ds)
    fit_ds, val_ds = common.split_valid(train_ds, VALID_ROWS)

    buckets = common.choose_buckets(fit_ds, names, args.bucket_scale, args.bucket_min, args.bucket_max)
    feats = feature_specs(names, buckets)
    blist = [buckets[k] for k in names]

    def enc(d: common.Dataset) -> np.ndarray:
        return common.encode(d.sparse, {}, feats, len(d), seed=0)["sparse"]

    x_fit, x_val, x_train, x_hold = enc(fit_ds), enc(val_ds), enc(train_ds), enc(hold_ds)

    # 1) choose the epoch count on the validation slice of the train rows
    _, best, _ = train(args, blist, x_fit, fit_ds.labels, args.max_epochs, x_val, val_ds.labels)
    best_ll, best_ep, best_auc = best
    print(f"best epoch {best_ep}: valid AUC {best_auc:.4f} logloss {best_ll:.4f}")
    if args.tune:
        return 0

    # 2) refit on all train rows for that many epochs
    model, _, _ = train(args, blist, x_train, train_ds.labels, best_ep)
    model.eval()

    out = Path(args.out or common.MODELS_DIR / NAME)
    onnx_path = out / "1" / "model.onnx"
    common.export_onnx(model, {"sparse": x_hold[:4]}, onnx_path)

    ev = common.OnnxNumpyEvaluator(onnx_path)
    p_onnx = ev.run({"sparse": x_hold})[0].reshape(-1)
    p_torch = common.predict(model, [x_hold])
    diff = float(np.max(np.abs(p_onnx - p_torch)))
    h_auc, h_ll = common.auc(hold_ds.labels, p_onnx), common.logloss(hold_ds.labels, p_onnx)
    print(f"holdout AUC {h_auc:.4f} logloss {h_ll:.4f} (ONNX graph; torch AUC {common.auc(hold_ds.labels, p_torch):.4f}, "
          f"max |onnx - torch| {diff:.2e})")
    if diff > 1e-5:
        raise SystemExit("ONNX graph and torch model disagree")

    common.write_config(
        out / "config.json", name=NAME,
        description=(f"DCN-v2 ({args.cross} full-rank cross layers, MLP {args.hidden}, embedding dim {args.dim}) "
                     f"on the Avazu sample"),
        inputs=[{"name": "sparse", "type": "int64", "columns": len(names)}],
        output="ctr", features=feats, dataset=data_path.name, auc_value=h_auc, logloss_value=h_ll,
        train_rows=len(train_ds), holdout_rows=len(hold_ds))

    fx_sparse = fixture_inputs(names)
    fx_x = common.encode(fx_sparse, {}, feats, 32, seed=0)["sparse"]
    with torch.no_grad():
        fx_scores = model(torch.from_numpy(fx_x)).numpy()
    fx_onnx = ev.run({"sparse": fx_x})[0].reshape(-1)
    if float(np.max(np.abs(fx_onnx - fx_scores))) > 1e-6:
        raise SystemExit("fixture: ONNX graph and torch model disagree")
    common.write_fixture(out / "1" / "fixture.json", fx_sparse, {}, [float(s) for s in fx_scores])

    info = common.onnx_io_summary(onnx_path)
    print(f"wrote {out}: model.onnx {onnx_path.stat().st_size} bytes, opset {info['opset']}, "
          f"inputs {info['inputs']}, outputs {info['outputs']}, ops {info['ops']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
