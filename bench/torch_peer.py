#!/usr/bin/env python3
"""PyTorch peer for side-by-side speed/quality comparisons with the ONNX Runtime trainer.

Trains the five Keras-blog autoencoders ("Building Autoencoders in Keras") and the blog's
variational autoencoder on MNIST with plain torch (CPU), reading the gzipped IDX files
itself. See bench/README.md.

    /usr/bin/python3 bench/torch_peer.py --model undercomplete --epochs 2 \
        --batch-size 256 --threads 2 --optimizer adam --json
    /usr/bin/python3 bench/torch_peer.py --model conv --epochs 4 --limit 1280 \
        --batch-size 128 --no-eval --latency --json

Only torch, numpy and the standard library are used.
"""
import argparse
import ctypes
import gzip
import json
import os
import resource
import statistics
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

# Dense models: hidden layer widths; every hidden layer is Dense+relu, the output layer
# is Dense 784 whose sigmoid is folded into the loss (the model returns logits).
DENSE = {
    "undercomplete": [32],  # 784 -> 32 relu -> 784 sigmoid
    "sparse": [32],  # the same, with an L1 activity penalty on the code
    "deep": [128, 64, 32, 64, 128],  # 784-128-64-32-64-128-784
}
# Conv models as layer lists: ("conv", filters, padding), ("pool",), ("up",). Every
# conv is 3x3 + relu except the last one (1 filter, logits: its sigmoid is in the loss).
CONV = {
    # 28 -> 14 -> 7 -> 4 (code 8x4x4); 4 -> 8 -> 16 -> 14 (valid conv) -> 28
    "conv": ([("conv", 16, "same"), ("pool",), ("conv", 8, "same"), ("pool",),
              ("conv", 8, "same"), ("pool",)],
             [("conv", 8, "same"), ("up",), ("conv", 8, "same"), ("up",),
              ("conv", 16, "valid"), ("up",), ("conv", 1, "same")]),
    # 28 -> 14 -> 7 (code 32x7x7); 7 -> 14 -> 28
    "denoising": ([("conv", 32, "same"), ("pool",), ("conv", 32, "same"), ("pool",)],
                  [("conv", 32, "same"), ("up",), ("conv", 32, "same"), ("up",),
                   ("conv", 1, "same")]),
}
# The variational autoencoder: 784 -> 256 relu -> mean, log-var (2 each) -> sampled z
# -> 256 relu -> 784 sigmoid (models/vae.ts).
VAE = {"hidden": 256, "latent": 2}
MODELS = [*DENSE, *CONV, "vae"]
# Batch size of the blog: 256 for the dense models, 128 for the conv ones, 100 for the VAE.
BLOG_BATCH = {"undercomplete": 256, "sparse": 256, "deep": 256, "conv": 128, "denoising": 128,
              "vae": 100}
# The optimizer each model trains with unless --optimizer says otherwise (models/registry.ts).
BLOG_OPTIMIZER = {"vae": "rmsprop"}
SPARSE_L1 = 1e-4  # the blog's activity_regularizer=regularizers.l1(10e-5)
NOISE_FACTOR = 0.5


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
        x = np.resize(x, (limit, rows * cols))  # the first `limit`, repeated when fewer (the subset)
    return torch.from_numpy(x.astype(np.float32) / 255.0)


def default_data_dir():
    """The library's loader order without its download: $AUTOENCODERS_DATA_DIR (or its mnist/),
    the cache folder, else the 3000-digit subset embedded in the library."""
    env = os.environ.get("AUTOENCODERS_DATA_DIR")
    cache = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"),
                         "autoencoders", "mnist")
    for d in ([os.path.join(env, "mnist"), env] if env else []) + [cache]:
        if os.path.exists(os.path.join(d, "train-images-idx3-ubyte.gz")):
            return d
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "data", "mnist_subset")


# glibc malloc options (malloc.h): M_TRIM_THRESHOLD and M_MMAP_THRESHOLD.
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
MALLOC_TUNED = {M_MMAP_THRESHOLD: 64 << 20, M_TRIM_THRESHOLD: 256 << 20}


def tune_malloc():
    """Keeps glibc's malloc from returning the step's activation buffers to the kernel.

    With its defaults glibc serves blocks above a dynamic threshold (128 KiB at start) with
    mmap and trims the heap top above twice that, so every training step of the conv
    models maps fresh pages and pays thousands of page faults (bench/README.md, "A fair
    PyTorch peer"). An evaluation pass hides it by raising the dynamic threshold; fixed
    thresholds (the same as MALLOC_MMAP_THRESHOLD_=67108864 MALLOC_TRIM_THRESHOLD_=268435456
    in the environment) cure it for any loop. Returns the setting for the JSON summary.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return "default (no glibc)"
    if not all(libc.mallopt(k, v) == 1 for k, v in MALLOC_TUNED.items()):
        return "default (mallopt refused)"
    return "mmap 64 MiB, trim 256 MiB"


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


class Autoencoder(torch.nn.Module):
    """Encoder then decoder; forward returns (logits, code)."""

    def __init__(self, name, encoder, decoder, image_shape):
        super().__init__()
        self.name, self.encoder, self.decoder = name, encoder, decoder
        self.image_shape = image_shape  # (784,) or (1, 28, 28)

    def forward(self, x):
        code = self.encoder(x.view(x.shape[0], *self.image_shape))
        return self.decoder(code).reshape(x.shape[0], -1), code

    def reconstruct(self, x):
        """The logits of the reconstruction (what `predict` gives, before the sigmoid)."""
        return self(x)[0]


class Vae(torch.nn.Module):
    """The blog's VAE; forward returns (logits, (mean, log_var)) with z = mean + exp(log_var/2)*eps,
    eps drawn from its own seeded generator."""

    def __init__(self, dim, hidden, latent, seed):
        super().__init__()
        self.hidden = torch.nn.Sequential(torch.nn.Linear(dim, hidden), torch.nn.ReLU())
        self.mean, self.log_var = torch.nn.Linear(hidden, latent), torch.nn.Linear(hidden, latent)
        self.decoder = torch.nn.Sequential(torch.nn.Linear(latent, hidden), torch.nn.ReLU(),
                                           torch.nn.Linear(hidden, dim))  # logits
        self.eps_gen = torch.Generator().manual_seed(seed)

    def forward(self, x):
        h = self.hidden(x)
        mean, log_var = self.mean(h), self.log_var(h)
        z = mean + (0.5 * log_var).exp() * torch.randn(mean.shape, generator=self.eps_gen)
        return self.decoder(z), (mean, log_var)

    def reconstruct(self, x):
        """The reconstruction from the code's mean, as the library's `predict`."""
        return self.decoder(self.mean(self.hidden(x)))


def conv_stack(spec, channels):
    layers = []
    for i, layer in enumerate(spec):
        if layer[0] == "conv":
            _, filters, padding = layer
            layers.append(torch.nn.Conv2d(channels, filters, 3, padding=1 if padding == "same" else 0))
            channels = filters
            if i < len(spec) - 1:  # the decoder's last conv gives logits
                layers.append(torch.nn.ReLU())
        elif layer[0] == "pool":
            # Keras' MaxPooling2D((2, 2), padding="same"): ceil_mode pads the end, 7 -> 4.
            layers.append(torch.nn.MaxPool2d(2, 2, ceil_mode=True))
        else:
            layers.append(torch.nn.Upsample(scale_factor=2, mode="nearest"))
    return torch.nn.Sequential(*layers), channels


def build_model(name, dim=784, seed=0):
    if name == "vae":
        model = Vae(dim, VAE["hidden"], VAE["latent"], seed + 3)
    elif name in DENSE:
        enc, dec, prev = [], [], dim
        widths = DENSE[name]
        code_at = len(widths) // 2  # index of the code layer (the narrowest)
        for i, width in enumerate(widths):
            (enc if i <= code_at else dec).extend([torch.nn.Linear(prev, width), torch.nn.ReLU()])
            prev = width
        dec.append(torch.nn.Linear(prev, dim))  # logits; sigmoid lives in the loss
        model = Autoencoder(name, torch.nn.Sequential(*enc), torch.nn.Sequential(*dec), (dim,))
    else:
        enc_spec, dec_spec = CONV[name]
        encoder, channels = conv_stack(enc_spec, 1)
        decoder, _ = conv_stack(dec_spec, channels)
        model = Autoencoder(name, encoder, decoder, (1, 28, 28))
    for m in model.modules():
        if isinstance(m, (torch.nn.Linear, torch.nn.Conv2d)):
            # Keras defaults: glorot_uniform kernel (fans include the receptive field), zero bias
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
    if name == "rmsprop":
        # Keras' RMSprop (v = rho v + (1-rho) g^2, p -= lr g / (sqrt(v) + eps)): torch's alpha is rho.
        return torch.optim.RMSprop(params, lr=1e-3, alpha=0.9, eps=1e-7)
    raise ValueError(name)


def bce(logits, x):
    # Numerically stable form of Keras' per-pixel binary cross-entropy on sigmoid outputs,
    # mean over pixels and batch.
    return F.binary_cross_entropy_with_logits(logits, x)


def l1_penalty(code):
    # Keras 1 activity regularizer: lambda * sum over units of the mean over the batch of |h|.
    return SPARSE_L1 * code.abs().mean(0).sum()


def vae_loss(logits, code, x):
    # Per sample: 784 * mean BCE (the sum over pixels) + KL(N(mean, exp(log_var)) || N(0, I));
    # mean over the batch: the negative ELBO in nats.
    mean, log_var = code
    reconstruction = F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / x.shape[0]
    kl = -0.5 * (1 + log_var - mean.square() - log_var.exp()).sum(1).mean()
    return reconstruction + kl


def model_loss(name, logits, code, x, penalty=True):
    """The training loss of model `name`; penalty=False leaves out the sparse model's L1 term."""
    if name == "vae":
        return vae_loss(logits, code, x)
    loss = bce(logits, x)
    return loss + l1_penalty(code) if penalty and name == "sparse" else loss


def corrupt(x, gen):
    return (x + NOISE_FACTOR * torch.randn(x.shape, generator=gen)).clamp_(0.0, 1.0)


@torch.no_grad()
def evaluate(name, model, x, x_input=None, batch_size=2000):
    """Mean loss of the reconstructions of x_input (default x) against x, without the sparse
    penalty (the VAE: the negative ELBO with a sampled code)."""
    x_input = x if x_input is None else x_input
    total = 0.0
    for i in range(0, x.shape[0], batch_size):
        xb = x[i:i + batch_size]
        logits, code = model(x_input[i:i + batch_size])
        total += model_loss(name, logits, code, xb, penalty=False).item() * xb.shape[0]
    return total / x.shape[0]


@torch.no_grad()
def latency_ms(model, x, batch, reps):
    """Median wall time of predicting `batch` images (sigmoid output), in ms."""
    xb = x[:batch]
    times = []
    for i in range(reps + 3):  # 3 warm-up calls
        t0 = time.perf_counter()
        torch.sigmoid(model.reconstruct(xb))
        if i >= 3:
            times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def matmul_peak_gflops(size, reps):
    """Best-of-`reps` GFLOP/s of a float32 `size` x `size` torch.mm (2 size^3 FLOP each)."""
    a, b = torch.rand(size, size), torch.rand(size, size)
    best = float("inf")
    for _ in range(reps + 1):  # one warm-up call
        t0 = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - t0)
    return 2 * size ** 3 / best / 1e9


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", choices=MODELS, default="undercomplete")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=0,
                   help="samples per update (default: the blog's, 256 dense or 128 conv)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--optimizer", choices=["adam", "adadelta", "rmsprop"],
                   help="default: the model's (rmsprop for vae, else adam)")
    p.add_argument("--data", default=default_data_dir(),
                   help="folder with the gzipped MNIST IDX files (default: $AUTOENCODERS_DATA_DIR, "
                        "the library's cache, else its embedded subset: %(default)s)")
    p.add_argument("--limit", type=int, default=0,
                   help="use only the first N training and first N test images (0 = all)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-eval", action="store_true", help="skip the validation pass after each epoch")
    p.add_argument("--latency", action="store_true",
                   help="also measure single-image and batch-256 inference latency")
    p.add_argument("--latency-reps", type=int, default=20)
    p.add_argument("--profile", type=int, default=0, metavar="STEPS",
                   help="after training, time STEPS more steps, then profile STEPS steps "
                        "(self CPU time per op, torch.autograd.profiler)")
    p.add_argument("--peak", type=int, default=0, metavar="SIZE",
                   help="instead of training: the best GFLOP/s of a SIZE x SIZE float32 torch.mm")
    p.add_argument("--peak-reps", type=int, default=10)
    p.add_argument("--glibc-malloc", action="store_true",
                   help="keep glibc malloc's default thresholds (slow steps; see tune_malloc)")
    p.add_argument("--json", action="store_true", help="print one JSON summary as the last line")
    a = p.parse_args()
    malloc = "glibc default" if a.glibc_malloc else tune_malloc()
    batch_size = a.batch_size or BLOG_BATCH[a.model]
    a.optimizer = a.optimizer or BLOG_OPTIMIZER.get(a.model, "adam")

    torch.set_num_threads(a.threads)
    if a.peak:
        print(json.dumps({"peer": "pytorch", "torch": torch.__version__, "threads": a.threads,
                          "size": a.peak, "reps": a.peak_reps,
                          "gflops": matmul_peak_gflops(a.peak, a.peak_reps)}))
        return 0
    blas_core = openblas_core()
    if blas_core in ("Prescott", "Core2", "Nehalem"):
        print(f"warning: OpenBLAS uses its {blas_core} kernels; set OPENBLAS_CORETYPE "
              "(e.g. SkylakeX or Haswell) for this CPU", file=sys.stderr)
    torch.manual_seed(a.seed)
    x_train = read_idx_images(os.path.join(a.data, "train-images-idx3-ubyte.gz"), a.limit)
    x_test = None if a.no_eval else read_idx_images(
        os.path.join(a.data, "t10k-images-idx3-ubyte.gz"), a.limit)
    n = x_train.shape[0]

    t0 = time.perf_counter()
    model = build_model(a.model, seed=a.seed)
    opt = build_optimizer(a.optimizer, model.parameters())
    build_ms = (time.perf_counter() - t0) * 1000
    gen = torch.Generator().manual_seed(a.seed)  # epoch shuffles
    noise_gen = torch.Generator().manual_seed(a.seed + 2)  # denoising: fresh noise per batch
    denoising = a.model == "denoising"
    x_test_noisy = None
    if denoising and x_test is not None:
        x_test_noisy = corrupt(x_test.clone(), torch.Generator().manual_seed(12345))

    epoch_seconds, epoch_faults, loss, val_loss = [], [], float("nan"), float("nan")
    for epoch in range(1, a.epochs + 1):
        model.train()
        faults0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        t0 = time.perf_counter()
        perm = torch.randperm(n, generator=gen)
        total = 0.0
        for i in range(0, n, batch_size):  # all samples; the last batch may be smaller
            xb = x_train[perm[i:i + batch_size]]
            logits, code = model(corrupt(xb.clone(), noise_gen) if denoising else xb)
            batch_loss = model_loss(a.model, logits, code, xb)
            opt.zero_grad(set_to_none=True)
            batch_loss.backward()
            opt.step()
            total += batch_loss.item() * xb.shape[0]
        dt = time.perf_counter() - t0
        epoch_seconds.append(dt)
        epoch_faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults0)
        loss = total / n
        if x_test is not None:
            model.eval()
            val_loss = evaluate(a.model, model, x_test, x_test_noisy)
        print(f"epoch {epoch}/{a.epochs}  loss {loss:.6f}  val_loss {val_loss:.6f}  "
              f"train {dt:.3f}s  {n / dt:,.0f} samples/s", file=sys.stderr if a.json else sys.stdout,
              flush=True)

    profile = {}
    if a.profile:
        model.train()

        def one_step(i):
            rows = torch.randint(0, n, (batch_size,), generator=gen)
            xb = x_train[rows]
            logits, code = model(corrupt(xb.clone(), noise_gen) if denoising else xb)
            step_loss = model_loss(a.model, logits, code, xb)
            opt.zero_grad(set_to_none=True)
            step_loss.backward()
            opt.step()
            step_loss.item()

        times = []
        for i in range(3 + a.profile):
            t0 = time.perf_counter()
            one_step(i)
            times.append((time.perf_counter() - t0) * 1000)
        with torch.autograd.profiler.profile() as prof:
            for i in range(a.profile):
                one_step(i)
        ops = sorted(prof.key_averages(), key=lambda e: -e.self_cpu_time_total)
        profile = {
            "profile_step_ms": statistics.median(times[3:]),
            "profile": [{"op": e.key, "self_ms": e.self_cpu_time_total / 1000 / a.profile}
                        for e in ops[:20]],
        }

    latency = {}
    if a.latency:
        model.eval()
        latency = {
            "latency_1_ms": latency_ms(model, x_train, 1, a.latency_reps),
            "latency_256_ms": latency_ms(model, x_train, min(256, n), a.latency_reps),
        }

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
            "batch_size": batch_size,
            "threads": a.threads,
            "blas_core": blas_core,
            "malloc": malloc,
            "seed": a.seed,
            "train_samples": n,
            "val_samples": 0 if x_test is None else x_test.shape[0],
            "loss": loss,
            "val_loss": None if x_test is None else val_loss,
            "samples_per_sec": samples_per_sec,
            "samples_per_sec_excludes_first_epoch": len(epoch_seconds) > 1,
            "epoch_seconds": epoch_seconds,
            "epoch_minor_faults": epoch_faults,
            "build_ms": build_ms,
            **latency,
            **profile,
            "peak_rss_mb": peak_rss_mb(),
        }))


if __name__ == "__main__":
    sys.exit(main())
