"""`copilot ingest --prune`: a dry run that lists what would go; `--yes` removes exactly that."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from copilot.cli import app

MANIFEST = {"version": 1, "documents": [
    {"path": "*.md", "tenant_id": "alder", "access_level": "partner", "doc_type": "playbook"}]}


def test_prune_lists_then_removes_only_with_yes(tmp_path):
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "manifest.yaml").write_text(json.dumps(MANIFEST))
    (root / "keep.md").write_text("# Keep\n\nThis document stays.\n")
    (root / "gone.md").write_text("# Gone\n\nThis document is deleted from the folder.\n")
    runner = CliRunner()
    base = ["ingest", str(root), "--data-dir", str(tmp_path / "data"), "--create", "--no-pii"]
    first = runner.invoke(app, [*base, "--json"])
    assert first.exit_code == 0, first.output
    (root / "gone.md").unlink()

    dry = runner.invoke(app, [*base, "--prune"])
    assert dry.exit_code == 0, dry.output
    assert "would be removed" in dry.output and "alder:gone.md" in dry.output and "--yes" in dry.output
    listed = runner.invoke(app, ["search", "deleted from the folder", "--tenant", "alder",
                                 "--data-dir", str(tmp_path / "data"), "--mode", "fulltext"])
    assert "gone.md" in listed.output  # still indexed after the dry run

    done = runner.invoke(app, [*base, "--prune", "--yes", "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["deleted"] == ["alder:gone.md"]
    listed = runner.invoke(app, ["search", "deleted from the folder", "--tenant", "alder",
                                 "--data-dir", str(tmp_path / "data"), "--mode", "fulltext"])
    assert "gone.md" not in listed.output


def test_missing_manifest_file_fails_the_run_with_its_name(tmp_path):
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "manifest.yaml").write_text(json.dumps({"version": 1, "documents": [
        *MANIFEST["documents"],
        {"path": "contracts/msa.md", "tenant_id": "alder", "access_level": "internal", "doc_type": "contract"}]}))
    (root / "a.md").write_text("# A\n\nText.\n")
    r = CliRunner().invoke(app, ["ingest", str(root), "--data-dir", str(tmp_path / "data"), "--create", "--no-pii",
                                 "--json"])
    assert r.exit_code == 1
    assert json.loads(r.output)["rejected"] == [
        {"path": "contracts/msa.md", "reason": "named in the manifest, file not found"}]


def test_demo_prunes_only_what_its_corpus_wrote(tmp_path):
    from copilot.cli.commands.demo import prepare_demo
    from copilot.core.services import build_services
    from copilot.core.settings import Settings
    from ingestion.manifest import DocumentTags

    settings = Settings(data_dir=tmp_path / "data", pii_detection=False)
    demo, other = tmp_path / "demo", tmp_path / "other"
    for root, names in ((demo, ("a.md", "b.md")), (other, ("x.md",))):
        root.mkdir()
        (root / "manifest.yaml").write_text(json.dumps(MANIFEST))
        for n in names:
            (root / n).write_text(f"# {n}\n\nText of {n} in {root.name}.\n")
    services = build_services(settings)
    services.ingestor.ingest_corpus(other, progress=False)
    services.ingestor.ingest_bytes(b"# U\n\nAn upload.\n", "uploads/partner/u.md",
                                   DocumentTags(tenant_id="alder", access_level="partner", doc_type="other"))
    prepare_demo(settings, corpus=demo, progress=False)
    (demo / "b.md").unlink()
    _, report, _ = prepare_demo(settings, corpus=demo, progress=False)
    assert report.deleted == ["alder:b.md"]
    assert {d.doc_id for d in build_services(settings).store.list_documents()} == {
        "a.md", "x.md", "uploads/partner/u.md"}
