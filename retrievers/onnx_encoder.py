"""The query encoder on ONNX Runtime: the packaged sentence model exported once to ONNX.

A search encodes one short question. Through torch most of that time is framework overhead
around a tiny forward pass; the same graph on ONNX Runtime costs 1.8x less CPU with the same
vectors (float32), and less again with int8 weights (reports/bench/bench_encoder_onnx.md).

The export runs offline, never at import time: ``copilot export-encoder`` or the first start
with the backend switched on writes ``<cache_dir>/<model digest>-<variant>-v<FORMAT>.onnx`` and
a ``.sha256`` file beside it. Later starts reuse the file when its hash still matches and rebuild
it otherwise (a truncated or overwritten file is never loaded). Mean pooling over the attention
mask and the L2 norm are part of the exported graph, as in the sentence-transformers model
(Transformer → Pooling(mean) → Normalize).
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

VARIANTS = ("float32", "int8")
# Bump when the export recipe changes, so an older cached file is never taken for a new one.
FORMAT = 1
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def model_digest(model_path: str | Path) -> str:
    """The model folder's SHA-256 (the same digest its integrity check pins)."""
    from guardrails.model_integrity import folder_digest

    return folder_digest(Path(model_path))


def export_path(cache_dir: Path, digest: str, variant: str) -> Path:
    return cache_dir / f"{digest[:24]}-{variant}-v{FORMAT}.onnx"


def _pooled_module(transformer: Any) -> Any:
    """The Hugging Face encoder with sentence-transformers' mean pooling and L2 norm on top."""
    import torch

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            hidden = self.transformer(input_ids=input_ids, attention_mask=attention_mask,
                                      token_type_ids=token_type_ids)[0]
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2.0, dim=1)

    return Pooled().eval()


def _export(transformer: Any, target: Path, variant: str) -> None:
    """Write the ONNX graph of ``transformer`` (+ pooling) to ``target``, int8 weights for ``int8``."""
    import warnings

    import torch

    tmp_dir = Path(tempfile.mkdtemp(prefix=".export-", dir=target.parent))
    try:
        fp32 = tmp_dir / "float32.onnx"
        dummy = tuple(torch.ones((2, 8), dtype=torch.long) for _ in _INPUTS)
        axes: dict[str, dict[int, str]] = {n: {0: "batch", 1: "tokens"} for n in _INPUTS}
        axes["embedding"] = {0: "batch"}
        with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
            warnings.simplefilter("ignore")  # the exporter's notes on traced control flow
            # The TorchScript exporter (dynamo=False) needs no onnxscript and keeps dynamic axes simple.
            torch.onnx.export(_pooled_module(transformer), dummy, str(fp32), input_names=list(_INPUTS),
                              output_names=["embedding"], dynamic_axes=axes, opset_version=17, dynamo=False)
        out = fp32
        if variant == "int8":
            from onnxruntime.quantization import QuantType, quantize_dynamic

            out = tmp_dir / "int8.onnx"
            # Weights only (MatMulConstBOnly: the attention products of two activations stay float),
            # one scale per output channel: one scale per tensor gave cosine .97 to the float model
            # instead of .99 (reports/bench/bench_encoder_onnx.md). Unsigned weights: signed ones
            # can saturate on CPUs without VNNI.
            quantize_dynamic(str(fp32), str(out), weight_type=QuantType.QUInt8, per_channel=True,
                             op_types_to_quantize=["MatMul"],
                             extra_options={"MatMulConstBOnly": True, "DefaultTensorType": 1})
        digest = _file_sha256(out)
        os.replace(out, target)  # atomic: a concurrent start sees the old file or the whole new one
        target.with_suffix(".sha256").write_text(digest + "\n", encoding="utf-8")
    finally:
        for p in tmp_dir.iterdir():
            p.unlink()
        tmp_dir.rmdir()


def _cached(target: Path) -> bool:
    """Whether ``target`` exists and hashes to the digest written when it was exported."""
    sidecar = target.with_suffix(".sha256")
    try:
        want = sidecar.read_text(encoding="utf-8").strip()
    except OSError:
        return False
    return target.exists() and _file_sha256(target) == want


_EXPORT_LOCK = threading.Lock()


def ensure_export(model_path: str | Path, cache_dir: Path, variant: str = "float32",
                  transformer: Any | None = None) -> Path:
    """The cached ONNX file of the model at ``model_path``, exported first when missing or corrupt.

    ``transformer`` is the already loaded Hugging Face encoder of that model (loaded here if None).
    """
    if variant not in VARIANTS:
        raise ValueError(f"ONNX variant must be one of {', '.join(VARIANTS)}, not {variant!r}")
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = export_path(cache_dir, model_digest(model_path), variant)
    with _EXPORT_LOCK:
        if _cached(target):
            return target
        if target.exists():
            log.warning("cached query encoder %s does not match its hash; exporting it again", target)
        if transformer is None:
            from transformers import AutoModel

            transformer = AutoModel.from_pretrained(str(model_path), local_files_only=True)
        log.info("exporting the query encoder to %s (%s)", target, variant)
        _export(transformer, target, variant)
    return target


class OnnxQueryEncoder:
    """Encodes texts with the exported graph on ONNX Runtime (one intra-op thread by default).

    Tokenisation is the model's own fast tokenizer with sentence-transformers' settings: texts
    stripped, truncated to ``max_tokens`` and padded to the longest text of the batch.
    """

    def __init__(self, onnx_path: Path, tokenizer_file: Path, *, max_tokens: int = 256, threads: int = 1):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Busy-waiting worker threads would burn the CPU that concurrent requests need.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(str(onnx_path), opts, providers=["CPUExecutionProvider"])
        tok = Tokenizer.from_file(str(tokenizer_file))
        tok.enable_truncation(max_tokens)
        pad_id = tok.token_to_id("[PAD]")
        tok.enable_padding(pad_id=0 if pad_id is None else pad_id, pad_token="[PAD]")
        self._tokenizer = tok
        self.path = onnx_path
        self.dim = int(self._session.get_outputs()[0].shape[-1] or 0)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        enc = self._tokenizer.encode_batch([str(t).strip() for t in texts])
        ids = np.asarray([e.ids for e in enc], dtype=np.int64)
        mask = np.asarray([e.attention_mask for e in enc], dtype=np.int64)
        types = np.asarray([e.type_ids for e in enc], dtype=np.int64)
        out = self._session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})[0]
        return np.asarray(out, dtype=np.float32)


def load_query_encoder(model_path: str | Path, cache_dir: Path, variant: str = "float32", *,
                       transformer: Any | None = None, max_tokens: int = 256,
                       threads: int = 1) -> OnnxQueryEncoder:
    """Export (or reuse) and open the ONNX encoder of the model at ``model_path``."""
    import onnxruntime  # noqa: F401 - fail before a pointless export when it is not installed

    path = ensure_export(model_path, cache_dir, variant, transformer)
    return OnnxQueryEncoder(path, Path(model_path) / "tokenizer.json", max_tokens=max_tokens, threads=threads)
