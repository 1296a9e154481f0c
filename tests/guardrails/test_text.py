"""guardrails.text: blocks, sentences, stems and stopwords behave as the answerer and citations rely on."""

from guardrails.text import blocks, sentence_spans, split_sentences, stem, stopwords


def test_abbreviations_decimals_and_initials_do_not_end_sentences():
    text = "See No. 5 and art. 3 of the agreement. Release 2026.1 ships approx. 12 fixes, e.g. in May. J. Smith signs."
    assert split_sentences(text) == [
        "See No. 5 and art. 3 of the agreement.",
        "Release 2026.1 ships approx. 12 fixes, e.g. in May.",
        "J. Smith signs.",
    ]


def test_offsets_point_at_the_sentences():
    text = "  First one here.   Second one, with 3.5 percent!\n\nThird."
    spans = sentence_spans(text)
    assert [text[s:e] for s, e in spans] == ["First one here.", "Second one, with 3.5 percent!", "Third."]


def test_blocks_find_headings_lead_ins_items_and_flattened_lists():
    text = (
        "Escalation\n\nThe criteria are:\n\n- UAT signed off.\n- Training done.\n\n4. EXIT CRITERIA\n\n"
        "Entry is allowed when all hold: - SIT complete. - Defects fixed."
    )
    got = [(b.kind, b.lead_in, text[b.start : b.end]) for b in blocks(text)]
    assert got == [
        ("heading", False, "Escalation"),
        ("para", True, "The criteria are:"),
        ("item", False, "UAT signed off."),
        ("item", False, "Training done."),
        ("heading", False, "EXIT CRITERIA"),
        ("para", True, "Entry is allowed when all hold:"),
        ("item", False, "SIT complete."),
        ("item", False, "Defects fixed."),
    ]


def test_sentences_never_cross_blocks():
    assert split_sentences("Lead-in without a stop\n\nNext paragraph starts here.") == [
        "Lead-in without a stop", "Next paragraph starts here."]


def test_stems_and_stopwords():
    assert stem("migrations") == stem("migration") and stem("escalates") == stem("escalation")
    assert stem("Partner's") == stem("partner")
    sw = stopwords()
    assert "the" in sw and "which" in sw
    assert "not" not in sw and "three" not in sw  # negations and number words carry meaning


def test_citation_markers_after_a_space_stay_with_their_sentence() -> None:
    from guardrails.citations import split_sentences

    text = "Production is down for all users. [1] A core process is degraded. [2][3] Next one. [4, 5] Last.[6]"
    assert split_sentences(text) == [
        "Production is down for all users. [1]",
        "A core process is degraded. [2][3]",
        "Next one. [4, 5]",
        "Last.[6]",
    ]
