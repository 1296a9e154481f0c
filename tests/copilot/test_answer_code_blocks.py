"""Code blocks in documentation (configuration, shell commands, JSON) kept as lines by the parser: the
lines of a block are one piece that joins the lead-in announcing it, and never lead-ins or headings of
their own. Real parser, real store, real model, real answerer; the texts are written for these tests.
"""

from __future__ import annotations

import numpy as np
import pytest

from copilot.answering.answerer import Answerer, chunk_units
from copilot.core.redact import ResponseRedactor, load_policy
from copilot.core.settings import Settings
from guardrails import text as _text
from retrievers.access import AccessLevel, Principal
from retrievers.retriever import Retriever
from retrievers.schema import Chunk
from retrievers.stores.lancedb import LanceDBStore

P = Principal("u", "acme", AccessLevel.PARTNER)

# What the parser leaves of a fenced YAML block: fences gone, indentation cut to one space.
YAML_GUIDE = (
    "Enabling the report exporter\n\n"
    "The report exporter is installed but disabled by default.\n\n"
    "To enable the report exporter, set the enabled field in your server configuration as follows:\n\n"
    "exporter:\n"
    " reports:\n"
    " # The folder that receives the exported reports.\n"
    " target: /var/exports\n"
    " formats:\n"
    " - csv\n"
    " - pdf\n"
    " enabled: true\n\n"
    "Restart the server after you change the configuration."
)
SHELL_GUIDE = (
    "Checking the service\n\n"
    "To check that the order service is running, enter the following commands:\n\n"
    "$ orderctl status --all\n"
    "$ orderctl logs --tail 20\n\n"
    "The service answers within a few seconds."
)
JSON_GUIDE = (
    "The manifest of a package looks like the following example:\n\n"
    "```json\n"
    "{\n"
    '  "name": "invoice-tools",\n\n'
    '  "version": "1.4.0"\n'
    "}\n"
    "```\n\n"
    "Keep the manifest next to the package."
)
PROSE = (
    "Contact details\n\n"
    "Note: the office is closed on public holidays.\n"
    "Address: 12 Harbour Road\n\n"
    "Support hours:\n\n"
    "Weekdays from 8 to 18\n\n"
    "Saturdays from 9 to 12"
)


def chunk(cid: str, text: str, title: str) -> Chunk:
    return Chunk(chunk_id=cid, doc_id=f"{cid}.md", tenant_id="acme", access_level=AccessLevel.PARTNER,
                 doc_type="guide", title=title, version="1", position=0, text=text, index_text=text,
                 section_path=[title])


def kinds(text: str) -> list[tuple[str, bool, str]]:
    return [(b.kind, b.lead_in, text[b.start : b.end]) for b in _text.blocks(text)]


def test_a_yaml_block_is_one_code_block_and_its_keys_are_not_lead_ins():
    blocks = kinds(YAML_GUIDE)
    code = [t for k, _, t in blocks if k == "code"]
    assert code == [YAML_GUIDE[YAML_GUIDE.index("exporter:") : YAML_GUIDE.index(" enabled: true") + 14]]
    assert [t for k, lead, t in blocks if lead] == [
        "To enable the report exporter, set the enabled field in your server configuration as follows:"]
    assert not any(k == "heading" and ("csv" in t or "exporter:" in t) for k, _, t in blocks)


def test_the_code_block_is_one_unit_with_its_lead_in():
    units = chunk_units(chunk("yaml", YAML_GUIDE, "Server Guide"))
    lists = [flat for _, _, flat, _, kind, _ in units if kind == "list"]
    assert lists == ["To enable the report exporter, set the enabled field in your server configuration as "
                     "follows: exporter: reports: # The folder that receives the exported reports. target: "
                     "/var/exports formats: - csv - pdf enabled: true"]
    # No code line is an answering unit on its own.
    assert not any(kind != "list" and "exported reports" in flat for _, _, flat, _, kind, _ in units)


def test_shell_commands_and_a_fenced_block_join_their_lead_ins():
    shell = [flat for _, _, flat, _, kind, _ in chunk_units(chunk("sh", SHELL_GUIDE, "Ops Guide")) if kind == "list"]
    assert shell == ["To check that the order service is running, enter the following commands: "
                     "$ orderctl status --all $ orderctl logs --tail 20"]
    fenced = [k for k, _, _ in kinds(JSON_GUIDE)]
    assert fenced == ["para", "code", "para"]
    units = chunk_units(chunk("json", JSON_GUIDE, "Packaging Guide"))
    assert any(kind == "list" and flat.startswith("The manifest of a package looks like the following example:")
               and '"version": "1.4.0"' in flat for _, _, flat, _, kind, _ in units)


def test_labelled_prose_is_not_code():
    assert "code" not in [k for k, _, _ in kinds(PROSE)]
    assert [k for k, _, _ in kinds("Terms:\n\nprice: net 30 days from the invoice date.\n\nThe buyer pays.")] \
        == ["para", "para", "para"]


@pytest.fixture(scope="module")
def answerer(embedder, tmp_path_factory):
    store = LanceDBStore(tmp_path_factory.mktemp("code") / "index")
    chunks = [chunk("yaml", YAML_GUIDE, "Server Guide"), chunk("sh", SHELL_GUIDE, "Ops Guide")]
    store.upsert(chunks, np.asarray(embedder.encode([f"{c.title}\n{c.text}" for c in chunks])))
    return Answerer(Retriever(store, embedder), embedder, Settings(), scoper=None)


def test_an_answer_quotes_the_configuration_not_the_lead_in_alone(answerer):
    ans = answerer.answer("How do I enable the report exporter?", P, ResponseRedactor(P, load_policy(None), None))
    assert not ans.refused
    assert "as follows:" in ans.answer and "enabled: true" in ans.answer


def test_a_block_the_parser_left_unindented_stays_whole():
    text = ("Add the module to your plugin file as follows:\n\n"
            "data:\n"
            "plugin-file.yaml: |\n"
            "includes:\n"
            "- defaults.yaml\n"
            "plugins:\n"
            "- package: ./dist/events-module\n"
            "disabled: false\n\n"
            "Restart the server.")
    assert [k for k, _, _ in kinds(text)] == ["para", "code", "para"]
