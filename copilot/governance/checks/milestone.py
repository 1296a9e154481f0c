"""Milestone evidence check: is every artifact the checklist requires on file for a project?

Only documents the principal may see are read: the project's documents are found with the
retriever (which applies the access rule inside the store query and re-checks every hit),
and their chunks are fetched through the same access filter. A document belongs to the
project when its text names the project (code or name). Each project document is then
classified as one artifact type of the checklists, by its title: a title that names the
artifact or one of its aliases, or whose embedding is close to the artifact's name. A
document that only mentions an artifact ("rollback decision point" in a cutover runbook)
is not that artifact.

For each required artifact the result is:

- ``found`` with a citation to the document;
- ``ambiguous`` when the document is there but says it is a draft, unsigned or pending, or a
  signature is required and none is recorded (unapproved drafts never get this far: the
  access rule hides them, so they are ``missing``);
- ``missing`` when no visible project document is that artifact.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from copilot.governance.checks.models import ArtifactResult, Citation
from copilot.governance.checks.templates import Artifact, Milestone, MilestoneChecklists
from retrievers.access import Principal, access_filter
from retrievers.embeddings import Embedder
from retrievers.retriever import Retriever
from retrievers.schema import Chunk, chunk_uuid

# Title-to-artifact similarity (all-MiniLM-L6-v2 cosine) at which a document counts as that
# artifact, and the lead it needs over the next artifact type.
TITLE_THRESHOLD = 0.45
TITLE_MARGIN = 0.1
PROJECT_SCAN_K = 500


class UnknownMilestoneError(KeyError):
    """The milestone is not in the checklists; ``known`` lists the ones that are."""

    def __init__(self, milestone: str, known: Sequence[str]):
        super().__init__(milestone)
        self.milestone = milestone
        self.known = list(known)

    def __str__(self) -> str:
        return f"unknown milestone {self.milestone!r}; known milestones: {', '.join(self.known)}"


_STATUS_MARKERS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\bDRAFT\b|\bstatus:\s*draft\b|\(draft\)|\bdraft (version|prepared|for)\b", re.I),
     "marked as a draft"),
    (re.compile(r"\b(not|never) (yet )?(been )?signed\b|\bunsigned\b|\bhas not signed\b|\bnot signed (it|yet)\b",
                re.I), "not signed"),
    (re.compile(r"\b(pending|awaiting|waiting for)\b[\w\s'’]{0,40}\b(signature|sign-?off|approval)\b|"
                r"\b(signature|sign-?off|approval)\b[\w\s'’]{0,20}\b(is|are|remains?) (still )?pending\b", re.I),
     "signature or approval pending"),
    (re.compile(r"\bnot (yet )?(been )?(completed|approved|finali[sz]ed)\b", re.I), "not completed or approved"),
]
_BLANK_SIGNATURE = re.compile(r"_{6,}")
_SIGNED = re.compile(r"\bsigned (for|by|on)\b|\bsigned by\b|\bsignatures? of\b[^.]{0,60}\bon \d", re.I)


@dataclass
class ProjectDocument:
    tenant_id: str
    doc_id: str
    title: str
    chunks: list[Chunk]

    @property
    def text(self) -> str:
        return "\n".join(c.text for c in self.chunks)


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


def _term_pattern(term: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(term)}(?!\w)", 0 if term.isupper() else re.I)


class MilestoneChecker:
    """Checks one project's evidence for one milestone, as one principal."""

    def __init__(self, checklists: MilestoneChecklists, retriever: Retriever, embedder: Embedder | None = None,
                 *, title_threshold: float = TITLE_THRESHOLD, title_margin: float = TITLE_MARGIN):
        self.checklists = checklists
        self.retriever = retriever
        self.embedder = embedder or retriever.embedder
        self.title_threshold = title_threshold
        self.title_margin = title_margin
        self.catalogue = list(checklists.all_artifacts().values())
        # Each artifact is described twice: by its names, and by its name plus what it contains.
        self._term_vecs = self.embedder.encode([", ".join(a.terms) for a in self.catalogue])
        self._desc_vecs = self.embedder.encode([f"{a.name}: {a.description}" for a in self.catalogue])

    def milestone(self, milestone_id: str) -> Milestone:
        m = self.checklists.milestones.get(milestone_id.strip().lower())
        if m is None:
            raise UnknownMilestoneError(milestone_id, sorted(self.checklists.milestones))
        return m

    # -- project documents ------------------------------------------------------------------
    def project_documents(self, project: str, principal: Principal) -> list[ProjectDocument]:
        """Visible documents whose text names the project (matched on the whole text)."""
        needle = _norm(project)
        hits = self.retriever.search(project, principal, k=PROJECT_SCAN_K, mode="fulltext")
        keys = sorted({(h.chunk.tenant_id, h.chunk.doc_id) for h in hits if needle in _norm(h.chunk.text)})
        if not keys:
            return []
        store = self.retriever.store
        flt = access_filter(principal, doc_ids=[d for _, d in keys])
        docs: list[ProjectDocument] = []
        for info in store.list_documents(flt):
            if (info.tenant_id, info.doc_id) not in keys or info.doc_type == "template":
                continue
            ids = [chunk_uuid(info.tenant_id, info.doc_id, info.version, i) for i in range(info.chunks)]
            chunks = sorted(store.get_chunks(ids, flt), key=lambda c: c.position)
            if chunks:
                docs.append(ProjectDocument(info.tenant_id, info.doc_id, info.title, chunks))
        return docs

    # -- classification -----------------------------------------------------------------------
    def classify(self, docs: Sequence[ProjectDocument]) -> dict[tuple[str, str], tuple[Artifact, float]]:
        """Document -> (artifact type, score). Titles naming an artifact win; else nearest by embedding."""
        out: dict[tuple[str, str], tuple[Artifact, float]] = {}
        if not docs:
            return out
        for d in docs:
            named = [a for a in self.catalogue if any(_term_pattern(t).search(d.title) for t in a.terms)]
            if named:
                # The most specific name wins ("UAT sign-off" over "sign-off").
                best = max(named, key=lambda a: max(len(t) for t in a.terms if _term_pattern(t).search(d.title)))
                out[(d.tenant_id, d.doc_id)] = (best, 1.0)
                continue
            # Titles are often "<what>: <project name>"; the project name only dilutes the match.
            parts = [p for p in re.split(r"\s*[:\u2014\u2013]\s*|\s+-\s+", d.title) if p.strip()] or [d.title]
            vecs = self.embedder.encode(parts)
            row = np.maximum((vecs @ self._term_vecs.T).max(axis=0), (vecs @ self._desc_vecs.T).max(axis=0))
            order = np.argsort(-row)
            top, second = float(row[order[0]]), float(row[order[1]]) if len(order) > 1 else -1.0
            if top >= self.title_threshold and top - second >= self.title_margin:
                out[(d.tenant_id, d.doc_id)] = (self.catalogue[int(order[0])], top)
        return out

    # -- the check ----------------------------------------------------------------------------
    def check(
        self, project: str, milestone_id: str, principal: Principal
    ) -> tuple[Milestone, int, list[ArtifactResult]]:
        """(milestone, number of visible project documents, one result per required artifact)."""
        milestone = self.milestone(milestone_id)
        docs = self.project_documents(project, principal)
        kinds = self.classify(docs)
        results = []
        for art in milestone.artifacts:
            matches = [(d, kinds[key][1]) for d in docs
                       if (key := (d.tenant_id, d.doc_id)) in kinds and kinds[key][0].artifact_id == art.artifact_id]
            results.append(self._judge(art, project, matches))
        return milestone, len(docs), results

    def _template_citation(self, art: Artifact) -> Citation:
        return Citation(doc_id=self.checklists.doc_id, title=self.checklists.title, section=art.section,
                        char_start=art.char_start, char_end=art.char_end)

    def _judge(self, art: Artifact, project: str, matches: list[tuple[ProjectDocument, float]]) -> ArtifactResult:
        tcite = self._template_citation(art)
        if not matches:
            return ArtifactResult(artifact_id=art.artifact_id, name=art.name, status="missing",
                                  signature_required=art.signature_required, template_citation=tcite,
                                  reason=f"no document visible to you for project {project} is a {art.name.lower()}")
        judged = []
        for doc, score in matches:
            problem, chunk, span = self._status_problem(doc, art)
            judged.append((problem is None, score, doc, problem, chunk, span))
        judged.sort(key=lambda j: (j[0], j[1]), reverse=True)
        ok, score, doc, problem, chunk, span = judged[0]
        cite = Citation(doc_id=doc.doc_id, title=doc.title, section=chunk.section, chunk_id=chunk.chunk_id,
                        char_start=chunk.char_start + span[0], char_end=chunk.char_start + span[1])
        evidence = chunk.text[span[0] : span[1]]
        if ok:
            return ArtifactResult(artifact_id=art.artifact_id, name=art.name, status="found", citation=cite,
                                  signature_required=art.signature_required, template_citation=tcite,
                                  evidence_text=evidence, reason=f"'{doc.title}' (match {score:.2f})")
        return ArtifactResult(artifact_id=art.artifact_id, name=art.name, status="ambiguous", citation=cite,
                              signature_required=art.signature_required, template_citation=tcite,
                              evidence_text=evidence, reason=f"'{doc.title}' is {problem}")

    @staticmethod
    def _status_problem(doc: ProjectDocument, art: Artifact) -> tuple[str | None, Chunk, tuple[int, int]]:
        """(problem or None, chunk to cite, span in that chunk)."""
        for chunk in doc.chunks:
            for pattern, label in _STATUS_MARKERS:
                m = pattern.search(chunk.text)
                if m:
                    return label, chunk, _line_around(chunk.text, m.start(), m.end())
        first = doc.chunks[0]
        if art.signature_required:
            for chunk in doc.chunks:
                m = _SIGNED.search(chunk.text)
                if m:
                    return None, chunk, _line_around(chunk.text, m.start(), m.end())
            blank = next((c for c in doc.chunks if _BLANK_SIGNATURE.search(c.text)), first)
            return "without a recorded signature (signature required)", blank, (0, min(len(blank.text), 300))
        return None, first, (0, min(len(first.text), 300))


def _line_around(text: str, start: int, end: int) -> tuple[int, int]:
    """The paragraph (or sentence-ish line) containing [start, end)."""
    s = text.rfind("\n", 0, start) + 1
    e = text.find("\n", end)
    e = len(text) if e < 0 else e
    if e - s > 400:
        s, e = max(s, start - 150), min(e, end + 150)
    return s, e
