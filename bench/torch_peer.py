#!/usr/bin/env python3
"""PyTorch peer for side-by-side speed/quality comparisons with the ONNX Runtime trainer.

Trains the Keras-blog autoencoders ("Building Autoencoders in Keras") on MNIST with
plain torch (CPU), reading the gzipped IDX files itself. See bench/README.md.

    /usr/bin/python3 bench/torch_peer.py --model undercomplete --epochs 2 \
        --batch-size 256 --threads 2 --optimizer adam --json

Only torch, numpy and the standard library are used.
"""
import argparse
import ctypes
import gzip
import json
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

# Hidden layer widths; every hidden layer is Dense+relu, the output layer is Dense 784
# whose sigmoid is folded into the loss (the model returns logits).
MODELS = {
    "undercomplete": [32],  # 784 -> 32 relu -> 784 sigmoid
    "deep": [128, 64, 32, 64, 128],  # 784-128-64-32-64-128-784
}


def read_idx_images(path, limit=None):
    """Reads a gzipped IDX3 image file into float32 [N, rows*cols] scaled to [0, 1]."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    magic, n, rows, cols = struct.unpack(">IIII", raw[:16])
    if magic != 2051:
        raise ValueError(f"{path}: bad IDX3 magic {magic:#x}")
    x = np.frombuffer(raw, dtype=np.uint8, count=n * rows * cols, offset=16)
    x = x.reshape(n, rows * cols)
    if limit:
        x = x[:limit]
    return torch.from_numpy(x.astype(np.float32) / 255.0)


def openblas_core():
    """OpenBLAS' kernel choice, or None when torch is not linked against OpenBLAS.

    OpenBLAS 0.3.21 (Debian 12) does not know recent Xeons (e.g. family 6 model 207) and
    falls back to the SSE3 "Prescott" kernels, about 2x slower here; run with
    OPENBLAS_CORETYPE=SkylakeX (or Haswell) in the environment to fix that.
    """
    try:
        fn = ctypes.CDLL("libopenblas.so.0").openblas_get_corename
    except (OSError, AttributeError):
        return None
    fn.restype = ctypes.c_char_p
    return fn().decode()


def build_model(name, dim=784):
    layers, prev = [], dim
    for width in MODELS[name]:
        layers += [torch.nn.Linear(prev, width), torch.nn.ReLU()]
        prev = width
    layers.append(torch.nn.Linear(prev, dim))  # logits; sigmoid lives in the loss
    model = torch.nn.Sequential(*layers)
    for m in model:
        if isinstance(m, torch.nn.Linear):  # Keras defaults: glorot_uniform kernel, zero bias
            torch.nn.init.xavier_uniform_(m.weight)
            torch.nn.init.zeros_(m.bias)
    return model


def build_optimizer(name, params):
    if name == "adam":
        # Keras-1 Adam folds the bias corrections into the step size,
        #   p -= lr*sqrt(1-b2^t)/(1-b1^t) * m / (sqrt(v) + eps),
        # i.e. eps is added to the *uncorrected* sqrt(v); torch adds eps to sqrt(v_hat)
        # (paper form). That only rescales eps by sqrt(1-b2^t) (<= ~32x at t=1, gone after
        # a few thousand steps) -- negligible at eps=1e-8, so torch's Adam is close enough.
        return torch.optim.Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    if name == "adadelta":
        # Same update rule as Keras' Adadelta; torch's defaults (rho 0.9, eps 1e-6) differ.
        return torch.optim.Adadelta(params, lr=1.0, rho=0.95, eps=1e-8)
    raise ValueError(name)


def bce(logits, x):
    # Numerically stable form of Keras' per-pixel binary cross-entropy on sigmoid outputs,
    # mean over pixels and batch.
    return F.binary_cross_entropy_with_logits(logits, x)


@torch.no_grad()
def evaluate(model, x, batch_size=2000):
    total = 0.0
    for i in range(0, x.shape[0], batch_size):
        xb = x[i:i + batch_size]
        total += bce(model(xb), xb).item() * xb.shape[0]
    return total / x.shape[0]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", choices=sorted(MODELS), default="undercomplete")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--optimizer", choices=["adam", "adadelta"], default="adam")
    p.add_argument("--data", default=os.environ.get("AUTOENCODERS_DATA_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../shared/data/mnist")),
                   help="folder with the gzipped MNIST IDX files (default: $MNIST_DIR or %(default)s)")
    p.add_argument("--limit", type=int, default=0,
                   help="use only the first N training and first N test images (0 = all)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print one JSON summary as the last line")
    a = p.parse_args()

    torch.set_num_threads(a.threads)
    blas_core = openblas_core()
    if blas_core in ("Prescott", "Core2", "Nehalem"):
        print(f"warning: OpenBLAS uses its {blas_core} kernels; set OPENBLAS_CORETYPE "
              "(e.g. SkylakeX or Haswell) for this CPU", file=sys.stderr)
    torch.manual_seed(a.seed)
    x_train = read_idx_images(os.path.join(a.data, "train-images-idx3-ubyte.gz"), a.limit)
    x_test = read_idx_images(os.path.join(a.data, "t10k-images-idx3-ubyte.gz"), a.limit)
    n = x_train.shape[0]

    model = build_model(a.model)
    opt = build_optimizer(a.optimizer, model.parameters())
    gen = torch.Generator().manual_seed(a.seed)  # epoch shuffles

    epoch_seconds, loss, val_loss = [], float("nan"), float("nan")
    for epoch in range(1, a.epochs + 1):
        model.train()
        t0 = time.perf_counter()
        perm = torch.randperm(n, generator=gen)
        total = 0.0
        for i in range(0, n, a.batch_size):  # all samples; the last batch may be smaller
            xb = x_train[perm[i:i + a.batch_size]]
            batch_loss = bce(model(xb), xb)
            opt.zero_grad(set_to_none=True)
            batch_loss.backward()
            opt.step()
            total += batch_loss.item() * xb.shape[0]
        dt = time.perf_counter() - t0
        epoch_seconds.append(dt)
        loss = total / n
        model.eval()
        val_loss = evaluate(model, x_test)
        print(f"epoch {epoch}/{a.epochs}  loss {loss:.6f}  val_loss {val_loss:.6f}  "
              f"train {dt:.3f}s  {n / dt:,.0f} samples/s", flush=True)

    # Throughput over all epochs except the first (warm-up) one when there is more than one.
    timed = epoch_seconds[1:] if len(epoch_seconds) > 1 else epoch_seconds
    samples_per_sec = n * len(timed) / sum(timed)
    if a.json:
        print(json.dumps({
            "peer": "pytorch",
            "torch": torch.__version__,
            "model": a.model,
            "optimizer": a.optimizer,
            "epochs": a.epochs,
            "batch_size": a.batch_size,
            "threads": a.threads,
            "blas_core": blas_core,
            "seed": a.seed,
            "train_samples": n,
            "val_samples": x_test.shape[0],
            "loss": loss,
            "val_loss": val_loss,
            "samples_per_sec": samples_per_sec,
            "samples_per_sec_excludes_first_epoch": len(epoch_seconds) > 1,
            "epoch_seconds": epoch_seconds,
        }))


if __name__ == "__main__":
    sys.exit(main())
