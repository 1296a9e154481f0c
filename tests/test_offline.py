"""Nothing reaches the network at run time: parsing every format, loading the embedding
model and the PII detector all work with sockets disabled in a fresh interpreter (so no
module was imported, and no model or NLTK/spaCy data cached, before the guard is in place)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = textwrap.dedent(
    """
    import socket, sys
    attempts = []
    def _refuse(*args, **kwargs):
        attempts.append(args[:2])
        raise OSError("network disabled by the offline test")
    socket.socket.connect = _refuse
    socket.socket.connect_ex = _refuse
    socket.create_connection = _refuse
    socket.getaddrinfo = _refuse

    from copilot.core.offline import force_offline
    force_offline()
    from pathlib import Path
    from ingestion.parsing import parse_bytes
    docs = Path("corpora/demo/docs")
    seen = set()
    for p in sorted(docs.rglob("*")):
        if p.is_file() and p.suffix not in seen:
            seen.add(p.suffix)
            assert parse_bytes(p.read_bytes(), p.name).text.strip(), p
    from retrievers.embeddings import SentenceTransformerEmbedder
    vec = SentenceTransformerEmbedder().encode(["cutover freeze window"])
    assert vec.shape == (1, 384)
    from guardrails.pii import PiiDetector
    assert PiiDetector().detect("Call Zoë Brandão on +44 20 7946 0958.")
    print("formats", sorted(seen), "attempts", len(attempts))
    sys.exit(3 if attempts else 0)
    """
)


@pytest.mark.slow
def test_parsing_models_and_pii_need_no_network():
    proc = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    assert "'.docx', '.html', '.md', '.pdf', '.txt'" in proc.stdout
