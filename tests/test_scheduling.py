"""The test-file order that keeps parallel runs from ending on one slow file."""

from tests.scheduling import file_of, longest_first


def test_measured_files_run_longest_first_and_unmeasured_ones_keep_their_order_after_them():
    files = ["a.py", "a.py", "b.py", "c.py", "d.py", "d.py", "e.py"]
    seconds = {"b.py": 5.0, "d.py": 80.0, "a.py": 0.5}
    assert longest_first(files, seconds) == ["d.py", "b.py", "a.py", "c.py", "e.py"]


def test_without_measurements_the_collection_order_stands():
    assert longest_first(["x.py", "y.py", "x.py", "z.py"], {}) == ["x.py", "y.py", "z.py"]


def test_a_test_belongs_to_its_file():
    assert file_of("tests/ingestion/test_crash.py::test_kill[3]") == "tests/ingestion/test_crash.py"
    assert file_of("tests/x.py::Cls::test_y") == "tests/x.py"
