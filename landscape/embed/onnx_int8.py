"""The bundled MiniLM on ONNX Runtime with int8 weights: ``precision="int8"``, auto's choice on CPUs
without native bf16.

The model is exported once, offline, from the bundled sentence-transformers model (the underlying
BertModel with mean pooling in the graph, opset 17, dynamic batch and sequence axes), fused by ORT's
BERT optimizer and its MatMul weights quantized to int8 per channel (dynamic activations). The result
is cached under ``models/`` beside the embedding cache (:mod:`landscape.locations`), named by a hash
of the model id, the onnxruntime version and these settings, written atomically, with a manifest
holding its sha256: a damaged or partial file is rebuilt, never loaded. ``landscape prepare-int8``
builds it ahead of time; otherwise the first int8 Embedder does (tens of seconds).

Quantization with ORT's default settings was too lossy for topic maps (cosine 0.937 to torch fp32).
The recipe: per-channel int8 weights on the MatMuls and fused Attention ops (full 8-bit range on
VNNI CPUs), except the FFN down-projections of layers 0 and 2, kept fp32 (:data:`KEEP_FP32`).
Activations are quantized at run time with one scale per batch tensor; the down-projections, whose
inputs are the GELU outputs, lost most (per-node sensitivity in bench/README.md), measured against
ORT fp32 on the 100 worst of 10,000 dev papers (+ 60 random):

| int8 nodes (of 24)                      | worst cosine | mean (worst 100 / random) | papers/s |
|-----------------------------------------|--------------|---------------------------|----------|
| all                                     | 0.9881       | 0.9928 / 0.9949           | 59.0     |
| all but down-projections of layers 0, 2 | 0.9930       | 0.9959 / 0.9969           | 53.6     |
| all but every down-projection           | 0.9955       | 0.9972 / 0.9978           | 45.6     |

(papers/s: one interleaved run on 256 papers, 2 threads, AVX512-VNNI; ORT fp32 32.5). Over the
10,000 papers (bench/int8_quality.py) the kept recipe has cosine mean / min 0.9971 / 0.9916 to
fp32 (every node int8: 0.9950 / 0.9848).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import warnings
from pathlib import Path

import numpy as np

from landscape import locations
from landscape.embed.models import BUNDLED_MODEL_ID, DEFAULT_MODEL, ModelSpec, resolve_model
from landscape.errors import LandscapeError, require

# The models this backend can export: mean-pooled BERT sentence encoders checked to hold cosine >= 0.99.
INT8_MODELS = (BUNDLED_MODEL_ID,)
OPSET = 17
# Chosen on an AVX512-VNNI CPU (bench/README.md): the fastest variant at cosine >= 0.99 to fp32.
FUSE_BERT = True
# MatMuls and the fused Attention ops (their QKV projection), per-channel weights, except the FFN
# down-projections of layers 0 and 2, kept fp32: their inputs (GELU outputs) have outlier channels
# that one per-tensor activation scale cannot hold, the largest int8 errors of the 24 quantized nodes
# (per-node sensitivity in bench/README.md). Keeping them lifts the worst cosine of 10,000 dev
# papers from 0.985 to >= 0.99 for ~9% of int8's speed.
KEEP_FP32 = tuple(f"/model/encoder/layer.{i}/output/dense/MatMul" for i in (0, 2))
QUANTIZE = {
    "per_channel": True,
    "op_types_to_quantize": ["MatMul", "Attention"],
    "nodes_to_exclude": list(KEEP_FP32),
}
INSTALL_HINT = "pip install onnxruntime onnx (both are landscape dependencies)"


class OnnxModelWarning(UserWarning):
    """A cached ONNX model was damaged and is rebuilt."""


def available_cores() -> int:
    """The CPU cores this process may run on: its affinity mask (not the machine's count), capped by
    ``$OMP_NUM_THREADS`` where set (as Ray sets it for a worker given ``num_cpus``)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    limit = os.environ.get("OMP_NUM_THREADS", "").strip()
    if limit.isdigit() and int(limit) > 0:
        cores = min(cores, int(limit))
    return max(1, cores)


def _ort():
    try:
        import onnxruntime
    except ImportError as exc:
        raise LandscapeError(
            f"precision 'int8' runs on ONNX Runtime, which cannot be imported ({exc}): {INSTALL_HINT}"
        ) from exc
    return onnxruntime


def quantize_settings(flags: set[str] | None = None) -> dict:
    """``quantize_dynamic``'s options for this CPU: :data:`QUANTIZE`, full-range weights with VNNI
    (without it, ORT's u8s8 kernels can saturate on them: 7-bit weights, ``reduce_range``)."""
    from landscape.embed.precision import cpu_has_vnni

    return {**QUANTIZE, "reduce_range": not cpu_has_vnni(flags)}


def settings(quantized: bool = True, fuse: bool = FUSE_BERT, quantize: dict | None = None) -> dict:
    """Everything a built model depends on (its cache key)."""
    return {
        "opset": OPSET,
        "onnxruntime": _ort().__version__,
        "fuse_bert": bool(fuse),
        "quantize": dict(quantize_settings() if quantize is None else quantize) if quantized else None,
    }


def vector_tag(flags: set[str] | None = None) -> str:
    """What the int8 vectors of a built model depend on beyond the model id (the embedding cache keys
    them by it): a new quantization recipe never reads the vectors of an older one, and a CPU without
    VNNI (7-bit weights) never those of a CPU with it, or the reverse, in a cache both use."""
    recipe = [OPSET, FUSE_BERT, QUANTIZE, "one text per run"]  # see OnnxBackend.encode_batch
    if quantize_settings(flags)["reduce_range"]:
        recipe.append("reduce_range")
    return "int8-" + hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:12]


def model_path(spec: ModelSpec, config: dict, directory: str | os.PathLike | None = None) -> Path:
    """Where the model built with ``config`` lives: ``models/<name>-<hash of id + config>.onnx``."""
    directory = Path(directory) if directory is not None else locations.cache_dir("models")
    digest = hashlib.sha256(json.dumps([spec.model_id, config], sort_keys=True).encode()).hexdigest()[:16]
    kind = "int8" if config["quantize"] else "fp32"
    return directory / f"{spec.model_id.rsplit('/', 1)[-1]}-{kind}-{digest}.onnx"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _manifest(path: Path) -> Path:
    return path.with_suffix(".json")


def cached_model(path: Path) -> bool:
    """Whether ``path`` holds a complete model: its manifest exists and its sha256 matches."""
    try:
        record = json.loads(_manifest(path).read_text(encoding="utf-8"))
        return path.is_file() and record.get("sha256") == _sha256(path)
    except (OSError, ValueError, AttributeError):
        return False


def ensure_model(
    spec: ModelSpec,
    *,
    quantized: bool = True,
    fuse: bool = FUSE_BERT,
    quantize: dict | None = None,
    directory: str | os.PathLike | None = None,
    force: bool = False,
) -> Path:
    """The ONNX file of ``spec`` with these settings, built (export, fuse, quantize) when not cached."""
    if spec.model_id not in INT8_MODELS:
        raise LandscapeError(
            f"the ONNX int8 backend supports {', '.join(INT8_MODELS)}, not {spec.model_id}: "
            "use precision='fp32' or 'bf16' for other models"
        )
    config = settings(quantized, fuse, quantize)
    path = model_path(spec, config, directory)
    if not force and cached_model(path):
        return path
    if path.exists() and not force:
        warnings.warn(
            f"cached ONNX model {path} is incomplete or damaged; rebuilding it",
            OnnxModelWarning,
            stacklevel=2,
        )
    _build(spec, config, path)
    return path


def prepare(model: str = DEFAULT_MODEL, *, force: bool = False) -> Path:
    """Build (or find) the int8 model of ``model`` in the default cache: ``landscape prepare-int8``."""
    return ensure_model(resolve_model(model), force=force)


def _build(spec: ModelSpec, config: dict, path: Path) -> None:
    """Export, optionally fuse and quantize, into a temporary folder beside ``path``; then move the
    file and its manifest into place (a reader never sees a partial model)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LandscapeError(f"cannot create the model cache {path.parent}: {exc.strerror or exc}") from exc
    work = Path(tempfile.mkdtemp(prefix=".build-", dir=path.parent))
    try:
        current = _export(spec, work / "model.onnx")
        if config["fuse_bert"]:
            current = _fuse(spec, current, work / "fused.onnx")
        if config["quantize"]:
            from onnxruntime.quantization import QuantType, quantize_dynamic

            _check_nodes(current, config["quantize"].get("nodes_to_exclude", ()))

            quantize_dynamic(
                str(current),
                str(work / "int8.onnx"),
                weight_type=QuantType.QInt8,
                # fused contrib ops defeat ONNX shape inference; their outputs are float
                extra_options={"DefaultTensorType": require("onnx").TensorProto.FLOAT},
                **config["quantize"],
            )
            current = work / "int8.onnx"
        record = {"model_id": spec.model_id, **config, "sha256": _sha256(current)}
        tmp_manifest = work / "manifest.json"
        tmp_manifest.write_text(json.dumps(record, indent=1), encoding="utf-8")
        os.replace(current, path)
        os.replace(tmp_manifest, _manifest(path))  # last: the manifest vouches for a complete file
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _check_nodes(model: Path, names) -> None:
    """Every node kept fp32 exists in ``model`` (an exporter that renamed them would silently
    quantize them all, below cosine 0.99)."""
    onnx = require("onnx")
    missing = set(names) - {node.name for node in onnx.load(str(model), load_external_data=False).graph.node}
    if missing:
        raise LandscapeError(
            f"the exported graph lacks the nodes the int8 recipe keeps fp32 ({', '.join(sorted(missing))}): "
            "this torch/onnxruntime names them differently; use precision='fp32' or 'bf16'"
        )


def _export(spec: ModelSpec, out: Path) -> Path:
    """The underlying BertModel with mean pooling, exported by torch's TorchScript exporter."""
    torch = require("torch")
    transformers = require("transformers")
    pooling = json.loads((spec.path / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
    if not pooling.get("pooling_mode_mean_tokens"):
        raise LandscapeError(f"{spec.model_id}: the ONNX export supports mean pooling only")
    # eager attention exports the MatMul/Softmax pattern that ORT fuses into its Attention op
    bert = transformers.AutoModel.from_pretrained(
        str(spec.path), local_files_only=True, attn_implementation="eager"
    )
    bert.eval()

    class MeanPooled(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)

    dummy = torch.ones((2, 16), dtype=torch.int64)
    axes = {0: "batch", 1: "sequence"}
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings: about the shapes made dynamic
        torch.onnx.export(
            MeanPooled(bert),
            (dummy, dummy, torch.zeros_like(dummy)),
            str(out),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["embedding"],
            dynamic_axes={
                "input_ids": axes,
                "attention_mask": axes,
                "token_type_ids": axes,
                "embedding": {0: "batch"},
            },
            opset_version=OPSET,
            dynamo=False,
        )
    return out


def _fuse(spec: ModelSpec, source: Path, out: Path) -> Path:
    """ORT's BERT graph fusion (attention, layer norm, GELU) on the exported graph."""
    from onnxruntime.transformers.optimizer import optimize_model

    config = json.loads((spec.path / "config.json").read_text(encoding="utf-8"))
    optimized = optimize_model(
        str(source),
        model_type="bert",
        num_heads=int(config["num_attention_heads"]),
        hidden_size=int(config["hidden_size"]),
    )
    optimized.save_model_to_file(str(out))
    return out


# ---- the backend -------------------------------------------------------------------------------


class OnnxBackend:
    """An exported model on ONNX Runtime (CPU): one session per backend, threads = usable cores."""

    precisions = ("int8",)

    def __init__(
        self,
        spec: ModelSpec,
        *,
        max_seq_length: int = 256,
        quantized: bool = True,
        directory: str | os.PathLike | None = None,
        **build_options,
    ):
        ort = _ort()
        self.model_id = spec.model_id
        self.max_seq_length = max_seq_length
        self.path = ensure_model(spec, quantized=quantized, directory=directory, **build_options)
        self.session = self._session(ort, self.path)
        if self.session is None:  # passed the checksum, yet ORT refuses it: rebuild once
            self.path = ensure_model(
                spec, quantized=quantized, directory=directory, force=True, **build_options
            )
            self.session = self._session(ort, self.path, strict=True)
        self.input_names = {i.name for i in self.session.get_inputs()}
        self.dim = int(self.session.get_outputs()[0].shape[-1])
        transformers = require("transformers")
        self.tokenizer = transformers.AutoTokenizer.from_pretrained(str(spec.path), local_files_only=True)

    @staticmethod
    def _session(ort, path: Path, strict: bool = False):
        options = ort.SessionOptions()
        options.intra_op_num_threads = available_cores()
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        try:
            return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # ORT raises its own exception types for unreadable models
            if strict:
                raise LandscapeError(f"ONNX Runtime cannot load {path}: {exc}") from exc
            warnings.warn(
                f"ONNX Runtime cannot load {path} ({exc}); rebuilding it", OnnxModelWarning, stacklevel=3
            )
            return None

    def encode_batch(self, texts: list[str], precision: str) -> np.ndarray:
        # One text per run: dynamic int8 quantization scales each activation tensor as a whole, so in
        # a padded batch a paper's vector moved with its batch mates (256 dev papers: cosine 0.9966,
        # min 0.9947, to itself alone); alone it depends on its text only, is as fast (no padding:
        # 55-63 papers/s against 47-50 in sorted batches of 64) and closer to fp32 (cosine mean / min
        # 0.99736 / 0.99523 against 0.99701 / 0.99510).
        tokens = self.tokenizer(texts, truncation=True, max_length=self.max_seq_length)
        out = []
        for i in range(len(texts)):
            feed = {name: np.asarray([tokens[name][i]], dtype=np.int64) for name in self.input_names}
            out.append(self.session.run(None, feed)[0][0])
        return np.stack(out) if out else np.zeros((0, self.dim), dtype=np.float32)
