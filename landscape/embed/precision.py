"""What embeddings are computed in, and which cached vectors may stand in for which: the one owner of
the precision rules (the Embedder, the embedding cache and the Ray engine all ask here).

- ``fp32``: torch, full precision; the reference.
- ``bf16``: torch with bf16 autocast, ``auto``'s choice where the hardware computes bf16 natively
  and has no VNNI (ARM; CUDA) (cosine to fp32 ~1.0000 on MiniLM).
- ``int8``: the bundled MiniLM on ONNX Runtime with int8 weights (:mod:`landscape.embed.onnx_int8`),
  ``auto``'s choice on every CPU with VNNI int8 dot products, with or without native bf16: it is the
  fastest route at cosine >= 0.99 to fp32 on both kinds (mean 0.997, min >= 0.99 on 10,000 papers).
  Without VNNI (AVX2 only) int8 weights must keep 7 bits to avoid saturating, which measured below
  cosine 0.99, so ``auto`` stays fp32 there (``int8`` on request still runs, reduced range).

``auto`` is the fastest route at cosine >= 0.99 to fp32 (``bench/precision.py --speed``, 512 dev
papers, 2 threads, papers/s; the VNNI-without-bf16 CPU emulated on an AVX512-BF16 one by capping
oneDNN at ``AVX512_CORE_VNNI``; ONNX Runtime picks kernels by cpuid, and its int8 kernels use VNNI,
not bf16, so they run as on such a CPU):

| CPU                            | torch fp32 | torch bf16 | ORT fp32 | ORT int8 | auto |
|--------------------------------|------------|------------|----------|----------|------|
| AVX512-BF16 + VNNI, quiet      | 19.7       | 45.0       | 35.0     | 56.0     | int8 |
| AVX512-VNNI, no bf16 (emulated)| 20.0       | 17.0       |          | 56.5     | int8 |

int8 costs about 0.005 NMI to the dev labels (mean over five disjoint 2,000-paper samples -0.0057,
one sample between -0.018 and +0.002) and moves a landscape further than a seed does (topic ARI to
the fp32/bf16 landscape ~0.71, against ~0.91 between two seeds; README, Benchmarks); in exchange
it is the fastest route at cosine >= 0.99 and gives the same vectors on both kinds of CPU (integer
kernels), where bf16-here / int8-there gave maps ~0.7 apart. ``LANDSCAPE_PRECISION=bf16`` (or fp32)
keeps the reference map.
"""

from __future__ import annotations

import os
from pathlib import Path

from landscape.errors import LandscapeError, require

COMPUTE_PRECISIONS = ("fp32", "bf16", "int8")
PRECISIONS = ("auto", *COMPUTE_PRECISIONS)
# Set to one of COMPUTE_PRECISIONS, it decides what precision="auto" runs on any hardware (e.g. to run
# the test suite each way: `make test-precisions`).
PRECISION_ENV = "LANDSCAPE_PRECISION"
# What auto picks, in words (error messages and docs say it this way).
AUTO_RULE = (
    "auto picks int8 on CPUs with VNNI, bf16 where the hardware has native bf16 and no VNNI, else fp32"
)
# x86 / ARM CPU flags for native bf16 arithmetic. Without them torch emulates bf16 matmuls, which
# measured ~3x SLOWER than fp32 for MiniLM on this project's AVX-512 (Ice Lake) machine.
NATIVE_BF16_FLAGS = ("avx512_bf16", "amx_bf16", "bf16")
# x86 flags for int8 dot products that accumulate without saturating (VNNI): int8 weights may use the
# full 8-bit range there (ONNX Runtime's reduce_range off).
VNNI_FLAGS = ("avx512_vnni", "avx_vnni", "amx_int8")
# Which cached vectors serve a request, most preferred first. bf16 is fp32 to ~1e-4, so an fp32 vector
# also serves a bf16 request (never the reverse); int8 is further (cosine ~0.995) and never mixes with
# the others in either direction.
ACCEPTED = {"fp32": ("fp32",), "bf16": ("fp32", "bf16"), "int8": ("int8",)}


def cpu_flags() -> set[str]:
    """The CPU feature flags of /proc/cpuinfo (empty where there is none)."""
    try:
        text = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return set()  # not Linux: no way to tell cheaply
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):  # x86 / ARM
            return set(value.split())
    return set()


def cpu_has_native_bf16(flags: set[str] | None = None) -> bool:
    """Whether the CPU has bf16 arithmetic instructions (AVX512-BF16, AMX-BF16 or ARM BF16)."""
    flags = cpu_flags() if flags is None else flags
    return any(flag in flags for flag in NATIVE_BF16_FLAGS)


def cpu_has_vnni(flags: set[str] | None = None) -> bool:
    """Whether the CPU has VNNI int8 dot products (AVX512-VNNI, AVX-VNNI or AMX-INT8)."""
    flags = cpu_flags() if flags is None else flags
    return any(flag in flags for flag in VNNI_FLAGS)


def auto_precision(
    device: str = "cpu", flags: set[str] | None = None, supported: tuple[str, ...] = COMPUTE_PRECISIONS
) -> str:
    """What ``precision="auto"`` runs on ``device`` for a model that supports ``supported``: on a
    CPU int8 where it has VNNI, else bf16 where it is native, else fp32; on CUDA bf16 where
    supported, else fp32. A model without int8 (any but the bundled one) gets the next choice."""
    kind = device.split(":")[0]
    choices = []
    if kind == "cpu":
        flags = cpu_flags() if flags is None else flags
        if cpu_has_vnni(flags):
            choices.append("int8")
        if cpu_has_native_bf16(flags):
            choices.append("bf16")
    elif kind == "cuda":
        torch = require("torch")
        if torch.cuda.is_available() and torch.cuda.is_bf16_supported():
            choices.append("bf16")
    return next((c for c in choices if c in supported), "fp32")


def forced_precision() -> str | None:
    """The precision ``$LANDSCAPE_PRECISION`` forces on ``precision="auto"`` (None when unset)."""
    value = os.environ.get(PRECISION_ENV, "").strip()
    if not value:
        return None
    if value not in COMPUTE_PRECISIONS:
        raise LandscapeError(
            f"${PRECISION_ENV} must be one of {', '.join(COMPUTE_PRECISIONS)}, got {value!r}"
        )
    return value


def resolve_precision(requested: str, supported: tuple[str, ...], device: str = "cpu") -> str:
    """The precision a model that runs ``supported`` computes in when ``requested`` on ``device``:
    ``auto`` is ``$LANDSCAPE_PRECISION`` or the hardware's choice, falling back to fp32 where the
    model lacks it; an explicit precision the model or device lacks is an error."""
    if requested not in PRECISIONS:
        raise LandscapeError(
            f"precision must be one of {', '.join(PRECISIONS)} ({AUTO_RULE}), got {requested!r}"
        )
    on_cpu = device.split(":")[0] == "cpu"
    if requested == "auto":
        forced = forced_precision()
        if forced is None:
            return auto_precision(device, supported=supported)
        if forced == "int8" and not on_cpu:
            forced = "fp32"
        return forced if forced in supported else "fp32"
    if requested not in supported:
        raise LandscapeError(
            f"it does not support precision {requested!r} (it supports {', '.join(supported)})"
        )
    if requested == "int8" and not on_cpu:
        raise LandscapeError(f"precision 'int8' runs on the CPU only, not on device {device!r}")
    return requested
