"""`python -m evals` argument and input errors, eval set validation, and the product/harness boundary."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from evals.__main__ import main as eval_main
from evals.dataset import EvalSetError, load_cases, locate


def test_unknown_mode_is_a_clear_error(tmp_path, capsys):
    code = eval_main(["--dataset", str(tmp_path / "x.jsonl"), "--out", str(tmp_path / "o"), "--modes", "dense,magic",
                      "--data-dir", str(tmp_path / "i")])
    assert code == 2
    assert "magic" in capsys.readouterr().err


def test_missing_corpus_is_a_clear_error(tmp_path, capsys):
    code = eval_main(["--dataset", str(tmp_path / "x.jsonl"), "--out", str(tmp_path / "o"),
                      "--corpus", str(tmp_path / "nope")])
    assert code == 2
    assert "corpus folder not found" in capsys.readouterr().err


def test_bad_eval_set_fails_before_any_index_is_opened(tmp_path, capsys):
    p = tmp_path / "set.jsonl"
    p.write_text('{"id": "a"}\n')
    code = eval_main(["--dataset", str(p), "--out", str(tmp_path / "o"), "--data-dir", str(tmp_path / "idx")])
    assert code == 2
    assert "set.jsonl:1" in capsys.readouterr().err
    assert not (tmp_path / "idx").exists() and not (tmp_path / "o").exists()


def test_product_code_does_not_import_the_harness():
    # Importing the service and the CLI must not load any evals module.
    code = ("import sys, copilot.cli, copilot.api.app, copilot.answering.search; "
            "print(sorted(m for m in sys.modules if m == 'evals' or m.startswith('evals.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_eval_set_errors_name_the_line(tmp_path):
    p = tmp_path / "set.jsonl"
    good = {"id": "a", "question": "q?", "principal": {"tenant_id": "t", "access_level": "partner"},
            "reference_doc_ids": ["d"]}
    p.write_text(json.dumps(good) + "\n" + json.dumps({"id": "b", "question": "q?"}) + "\n")
    with pytest.raises(EvalSetError, match=r"set.jsonl:2"):
        load_cases(p)
    p.write_text(json.dumps(good) + "\n" + json.dumps(good) + "\n")
    with pytest.raises(EvalSetError, match="duplicate"):
        load_cases(p)
    p.write_text(json.dumps(good | {"principal": {"tenant_id": "t", "access_level": "godmode"}}) + "\n")
    with pytest.raises(EvalSetError, match="access level"):
        load_cases(p)


def test_locate_reference_context_in_text():
    text = "Intro.\n\nGold partners need at least   10 certified\nconsultants. Other text."
    s, e = locate("Gold partners need at least 10 certified consultants.", text)
    assert text[s:e].split() == ["Gold", "partners", "need", "at", "least", "10", "certified", "consultants."]
    assert locate("Something that is nowhere in the document at all", text) is None


@pytest.mark.parametrize("argv", [["run", "--sets", "pool,everything"], ["sweep", "--sizes", "480"]])
def test_cuad_command_rejects_malformed_options_before_any_work(tmp_path, argv, capsys):
    from evals.cuad import main

    (tmp_path / "src").mkdir()  # a source folder exists, so only the option can be wrong
    with pytest.raises(SystemExit) as exc:
        main([*argv[:1], "--source", str(tmp_path / "src"), "--corpus", str(tmp_path / "c"), *argv[1:]])
    assert exc.value.code == 2
    assert ("--sets expects" if "--sets" in argv else "--sizes expects") in capsys.readouterr().err
    assert not (tmp_path / "c").exists()  # nothing was built
