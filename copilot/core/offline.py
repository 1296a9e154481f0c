"""Keep every library off the network: models and NLP data come from installed packages."""

from __future__ import annotations

import logging
import os

_OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "UNSTRUCTURED_DISABLE_NOTICE": "1",
    "DO_NOT_TRACK": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "TOKENIZERS_PARALLELISM": "false",
}


def force_offline() -> None:
    """Set the offline switches (without overriding explicit user choices) and quiet fetch loggers."""
    for key, value in _OFFLINE_ENV.items():
        os.environ.setdefault(key, value)
    # tldextract (via presidio) logs a traceback when it cannot fetch the suffix list.
    logging.getLogger("tldextract").setLevel(logging.CRITICAL)
