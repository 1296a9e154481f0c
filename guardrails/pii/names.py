"""Name-shape helpers shared by the person recognizers and post-processing.

Python's ``re`` has no ``\\p{Lu}``: capitalisation is checked in Python so non-ASCII names work.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import cache, lru_cache

from guardrails.pii.lexicon import domain_words, not_names, org_words, particles, words

WORD = r"[^\W\d_][\w'’\-]*"
WORD_RE = re.compile(WORD)
# A user handle built from a name: letters, a dot or underscore, letters ("anil.k", "marta_z").
HANDLE_SHAPE = r"(?=[a-z._]{4})[a-z]{1,20}[._][a-z]{1,20}\d{0,3}"
# Parts of an account a system, not a person, holds ("svc.backup", "deploy_bot").
SYSTEM_ACCOUNTS = frozenset({"svc", "system", "sys", "admin", "root", "bot", "ci", "cd", "build", "deploy", "service",
                             "api", "app", "auto", "cron", "daemon", "noreply", "test", "prod", "dev", "stage",
                             "staging", "local", "internal", "ops", "monitor", "backup", "job", "batch"})


def is_system_account(handle: str) -> bool:
    """A handle a system holds: a part of it names one ("svc.backup"), or a one-word handle ends in
    "bot", the usual name of an automated account ("dependabot")."""
    parts = re.split(r"[._]", handle)
    return bool(set(parts) & SYSTEM_ACCOUNTS) or (len(parts) == 1 and handle.endswith("bot"))


def name_case(word: str) -> str:
    """``word`` in title case, hyphen and apostrophe parts too ("hermann-josef" -> "Hermann-Josef");
    a particle stays in lower case inside a name."""
    if word.lower() in particles():
        return word.lower()
    return re.sub(r"[^\W\d_]+", lambda m: m.group()[0].upper() + m.group()[1:].lower(), word)


def core(token: str) -> str:
    """A token without surrounding punctuation (``"S.A.,"`` -> ``"S.A"``)."""
    return token.strip(".,:;'’()\"")


def is_cap(word: str) -> bool:
    """Capitalised and not a function word/label."""
    return word[:1].isupper() and word.lower() not in not_names()


def is_org_token(token: str) -> bool:
    """An organisation/product/document marker such as ``GmbH``, ``S.A.``, ``Suite``, ``Guide``, in the
    plural too (``Hotels``), or a compound whose head is one (``Klantenservice``, ``Kundensupport``)."""
    return _is_org_word(core(token).lower())


@lru_cache(maxsize=8192)
def _is_org_word(c: str) -> bool:
    if c in org_words() or c.replace(".", "") in org_words():
        return True
    if len(c) > 5 and c.endswith("s") and c[:-1] in org_words():  # not "Banks", "Sas": surnames
        return True
    # German and Dutch write a unit's or firm's name as one word ending in its head noun; a head of
    # six letters or more after three or more letters is no surname's ending
    heads = _compound_heads()
    return len(c) >= 9 and any(c[i:] in heads for i in range(3, len(c) - 5))


@cache
def _compound_heads() -> frozenset[str]:
    return frozenset(w for w in org_words() if len(w) >= 6 and w.isalpha())


def is_legal_form(token: str) -> bool:
    """A legal form or organisation prefix (``GmbH``, ``S.A.``, ``Stichting``)."""
    c = core(token).lower()
    return c in words("legal_forms") or c.replace(".", "") in words("legal_forms")


def has_domain_word(seg: str) -> bool:
    return any(core(t).lower() in domain_words() for t in seg.split())


def name_tokens(
    text: str, pos: int, *, allow_lower: bool, max_tokens: int = 4, particle_first: bool = False
) -> tuple[int, int] | None:
    """Extent of a name starting at ``pos``: capitalised words, initials and particles on one line
    (``particle_first``: the name may open with a particle, as a surname after a title does)."""
    i, n = pos, len(text)
    while i < n and text[i] in " \t":
        i += 1
    start, end, count = i, -1, 0
    while count < max_tokens:
        m = WORD_RE.match(text, i)
        if not m:
            break
        word = m.group().rstrip("'’-")
        w_end = m.start() + len(word)
        low = word.lower()
        if low in not_names() or is_org_token(word):
            break
        initial = len(word) == 1 and word.isupper()
        if initial and w_end < n and text[w_end] == ".":
            w_end += 1
        if not (is_cap(word) or (allow_lower and count < 2) or ((count > 0 or particle_first) and low in particles())):
            break
        if count == 0 and (initial or (low in particles() and not particle_first)):
            break
        if low not in particles() and not initial:
            end = w_end
        count += 1
        i = w_end
        if i < n and text[i] == " ":
            i += 1
        else:
            break
    if end <= start:
        return None
    return start, end


@lru_cache(maxsize=16384)  # asked for the same words again and again (every rule reads a name's words)
def token_ok_for_name(tok: str) -> bool:
    """A token that can be part of a personal name in business text."""
    c = core(tok)
    low = c.lower()
    if not c or any(ch.isdigit() for ch in c) or "&" in c:
        return False
    if is_org_token(c) or low in domain_words() or low in not_names():
        return False
    if low in particles():
        return True
    if not c[0].isupper():
        return False
    # acronyms and camel-case product words (EDI, GxP, TengoSync) are not names; keep Mc/Mac/O'/hyphenated
    uppers = sum(ch.isupper() for ch in c)
    return not (uppers >= 2 and not re.match(r"^(?:Mc|Mac|O['’]|D['’])", c) and "-" not in c)


# A name written with a capital inside opens with a surname's or given name's prefix ("McDonald",
# "MacArthur", "FitzGerald", "DiCaprio", "DeAndre", "LaToya", "LeBlanc", "DuBois", "VanDyke").
_NAME_PREFIXES = ("Mc", "Mac", "Fitz", "Di", "De", "Da", "Du", "Del", "La", "Le", "Van", "Von", "O", "St")


def inner_capital(word: str) -> bool:
    """A capital after a small letter ("ConfigMap", "GitHub"): a code's or a product's identifier,
    unless a name's prefix stands before that capital ("McDonald", "Smith-McDonald").

    Wider than the rule of ``token_ok_for_name`` (any second capital but after Mc/Mac/O'/D'), which
    decides what a recognizer may call a name; this one decides only which sentences spaCy's entity
    model reads (``ner_focus``), where keeping a brand such as "DeWalt" costs a little time and
    dropping a name costs the model's reading of it.
    """
    for i in range(1, len(word)):
        if word[i].isupper() and word[i - 1].islower():
            part = max(word.rfind(c, 0, i) for c in "-'’") + 1
            if word[part:i] not in _NAME_PREFIXES:
                return True
    return False


def name_tokens_ok(toks: Sequence[str]) -> list[bool]:
    """``token_ok_for_name`` for each token of a name, reading two tokens by their place in it: a
    dotted initial before the surname ("A." of "A. K. Sharma") and a capitalised word after a particle
    ("Vos" of "Daniel de Vos") are parts of the name even when they also spell a function word."""
    ok = [token_ok_for_name(t) for t in toks]
    for i, t in enumerate(toks):
        if ok[i]:
            continue
        c = core(t)
        low = c.lower()
        initial = i + 1 < len(toks) and re.fullmatch(r"[A-Z]\.", t.rstrip(",")) is not None
        after_particle = (i > 0 and core(toks[i - 1]).lower() in particles() and c[:1].isupper() and c.isalpha()
                          and low in not_names() and not is_org_token(c) and low not in domain_words())  # fmt: skip
        ok[i] = initial or after_particle or (all(ok[:i]) and late_function_word(toks, i))
    return ok


def late_function_word(toks: Sequence[str], i: int) -> bool:
    """``toks[i]`` closes a name of three words or more and spells a short function word written
    capitalised ("An" of "Nguyễn Văn An"): mid-phrase, a function word is written in lower case."""
    c = core(toks[i])
    return (i >= 2 and i == len(toks) - 1 and 2 <= len(c) <= 3 and c[:1].isupper() and c[1:].islower()
            and c.lower() in not_names())  # fmt: skip


def looks_like_name(seg: str) -> bool:
    """Two to four name tokens (initials and particles allowed), no organisation words."""
    toks = seg.split()
    if not 2 <= len(toks) <= 4 or "\n" in seg:
        return False
    real = 0
    for i, t in enumerate(toks):
        c = t.rstrip(".,")
        if c.lower() in particles() or (len(c) == 1 and c.isupper()):
            continue
        if late_function_word(toks, i):
            real += 1
            continue
        if not token_ok_for_name(c) or not c.replace("-", "").replace("'", "").replace("’", "").isalpha():
            return False
        if c[1:] != c[1:].lower() and "-" not in c and not re.match(r"^(?:Mc|Mac|O['’]|D['’])", c):
            return False
        real += 1
    return real >= 2


_CAPS_WORD = re.compile(r"[^\W\d_][^\W\d_'’\-]*(?:['’\-][^\W\d_]+)*")


def title_view(seg: str) -> str:
    """``seg`` with its words in capitals read in title case and the airline order's "/" as a space
    ("MENSAH/KWAME" -> "Mensah Kwame", "O'SULLIVAN" -> "O'Sullivan"), the same length; ``seg`` itself
    when a letter's case changes its length."""

    def fix(m: re.Match[str]) -> str:
        w = m.group()
        return w.title() if len(w) > 1 and w.isupper() else w

    view = _CAPS_WORD.sub(fix, seg)
    view = re.sub(r"(?<=[^\W\d_])/(?=[^\W\d_])", " ", view)
    return view if len(view) == len(seg) else seg


# A word inside a bare list of capitalised words is one partner of a firm's name ("Hughes, Thomas and
# Hudson") unless its neighbours are given names too ("Erik, Amy and Donald").
_CONJUNCTION = r"[ \t]+(?:and|und|et|en|y|i|e|&)[ \t]+"
_LIST_JOIN = rf"(?:,[ \t]*|{_CONJUNCTION})"
_IN_BARE_LIST_BEFORE = re.compile(rf"(?<![\w'’-])([A-Z][\w'’-]*){_LIST_JOIN}$")
_AFTER_CONJUNCTION = re.compile(rf"(?<![\w'’-])([A-Z][\w'’-]*){_CONJUNCTION}$")
_IN_BARE_LIST_AFTER = re.compile(rf"{_LIST_JOIN}([A-Z][\w'’-]*)(?![\w'’-]|[ \t]+[A-Z])")


def in_bare_name_list(text: str, a: int, b: int, is_given: Callable[[str], bool], comma_before: bool = True) -> bool:
    """``text[a:b]``, one word, stands in a list of bare capitalised words of which a neighbour is no
    given name: a partner in a firm named after its founders. ``comma_before=False``: a word after
    "Surname, " alone is no partner but an inverted name ("Field, Carolyn")."""
    before = (_IN_BARE_LIST_BEFORE if comma_before else _AFTER_CONJUNCTION).search(text[max(0, a - 40) : a])
    return any(m and not is_given(m.group(1)) for m in (before, _IN_BARE_LIST_AFTER.match(text, b)))
