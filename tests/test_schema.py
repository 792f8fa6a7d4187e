"""What the grading process accepts from the kernel (grader/engine/schema.py): honest records, and nothing malformed."""
from __future__ import annotations

import base64
import io

import numpy as np
import pytest

from cnn_course import record
from grader.engine.schema import MAX_CHARS, Malformed, check_record


def honest(*outcomes) -> dict:
    return {"id": "test_f_visible", "function": "f", "outcomes": list(outcomes)}


def _npy(array: np.ndarray) -> str:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def test_records_the_kernel_writes_are_accepted():
    outcomes = [record.run_case(lambda x: (x * 2, [1, 2.5], {"k": None}, True, "s"), {"x": np.ones((2, 3))}),
                record.run_case(lambda x: x, {"x": np.arange(3)}),  # returns its input: returned_input
                record.run_case(lambda x: x.fill(0), {"x": np.ones(2)}),  # modifies it: modified
                record.run_case(lambda x: 1 / 0, {"x": 1})]
    assert "returned_input" in outcomes[1] and "modified" in outcomes[2] and "error" in outcomes[3]
    check_record(honest(*outcomes), "test_f_visible", "f", 4)
    check_record(honest({"value": {"__int__": "-" + "9" * 4000}}), "test_f_visible", "f", 1)
    check_record(honest({"value": [[[[{"__float__": "1e300"}]]]]}), "test_f_visible", "f", 1)


@pytest.mark.parametrize("payload, words", [
    ([], "exactly the keys"),
    ({"id": "test_f_visible", "function": "f", "outcomes": [], "extra": 1}, "exactly the keys"),
    ({"id": "test_g_visible", "function": "f", "outcomes": [{"value": 1}]}, "not this test"),
    ({"id": "test_f_visible", "function": "g", "outcomes": [{"value": 1}]}, "not this test"),
    (honest(), "the 1 expected outcomes"),
    (honest({"value": None}, {"value": None}), "the 1 expected outcomes"),
    ({"id": "test_f_visible", "function": "f", "outcomes": {"value": 1}}, "expected outcomes"),
    (honest("x"), "outcome 1: not an object"),
    (honest({}), "exactly one of value, error"),
    (honest({"value": None, "error": {"type": "E", "message": ""}}), "exactly one of value, error"),
    (honest({"value": None, "verdict": "pass"}), "exactly one of value, error"),
    (honest({"value": None, "modified": "x"}), "modified must be a list"),
    (honest({"value": None, "returned_input": [1]}), "returned_input must be a list"),
    (honest({"error": "E"}), "error must be"),
    (honest({"error": {"type": "E"}}), "error must be"),
    (honest({"error": {"type": "E", "message": 1}}), "error must be"),
    (honest({"value": 1}), "not an encoded value (int)"),
    (honest({"value": 1.5}), "not an encoded value (float)"),
    (honest({"value": {"__int__": "1", "__float__": "1"}}), "not an encoded value"),
    (honest({"value": {"__int__": "1.5"}}), "not an encoded value ('__int__')"),
    (honest({"value": {"__int__": "9" * 4001}}), "not an encoded value"),
    (honest({"value": {"__float__": "one"}}), "bad float"),
    (honest({"value": {"__float__": 1.0}}), "not an encoded value"),
    (honest({"value": {"__tuple__": [1]}}), "not an encoded value (int)"),
    (honest({"value": {"__tuple__": "ab"}}), "not an encoded value"),
    (honest({"value": {"__dict__": [["k"]]}}), "bad dict entry"),
    (honest({"value": {"__dict__": [[1, None]]}}), "bad dict entry"),
    (honest({"value": {"__dict__": [["k", 2]]}}), "not an encoded value (int)"),
    (honest({"value": {"__ndarray__": "x" * (MAX_CHARS + 1)}}), "array too large"),
    (honest({"value": {"__ndarray__": "not base64!"}}), "bad array"),
    (honest({"value": {"__ndarray__": _npy(np.array(["a"]))}}), "expected numbers"),
    (honest({"value": {"__ndarray__": _npy(np.array([{}], dtype=object))}}), "expected numbers"),
    (honest({"value": {"__ndarray__": _npy(np.zeros(4))[:-8]}}), "header does not match"),
    (honest({"value": {"__probe__": "cubic_mix"}}), "not an encoded value ('__probe__')"),
])
def test_malformed_records_are_refused_saying_where(payload, words):
    with pytest.raises(Malformed, match=None) as refused:
        check_record(payload, "test_f_visible", "f", 1)
    assert words in str(refused.value)


def test_nesting_is_bounded():
    value = None
    for _ in range(22):
        value = [value]
    with pytest.raises(Malformed, match="nested too deep"):
        check_record(honest({"value": value}), "test_f_visible", "f", 1)
    for _ in range(2):
        value = value[0]
    check_record(honest({"value": value}), "test_f_visible", "f", 1)  # 20 deep is fine


def test_nbgraders_cell_metadata_check_refuses_what_its_schema_refuses_with_the_schema_checked_once():
    import jsonschema
    from nbformat.v4 import new_code_cell
    from nbgrader.nbgraderformat.v3 import MetadataValidatorV3

    from grader.engine import converters

    converters.check_schemas_once()  # as the first converter a grading process runs does

    meta = {"schema_version": 3, "grade": True, "solution": False, "locked": True, "task": False, "grade_id": "t",
            "points": 2.0}
    validator = MetadataValidatorV3()
    validator.validate_cell(new_code_cell(metadata={"nbgrader": meta}))
    with pytest.raises(jsonschema.ValidationError, match="points|many"):
        validator.validate_cell(new_code_cell(metadata={"nbgrader": {**meta, "points": "many"}}))
    with pytest.raises(jsonschema.ValidationError):
        validator.validate_cell(new_code_cell(metadata={"nbgrader": {**meta, "grade": "yes"}}))
    from nbgrader.nbgraderformat import common

    assert common.jsonschema.__name__ == "CheckedSchemas"


def test_a_grading_pass_checks_the_notebook_against_nbformats_schema_once_after_its_last_step(monkeypatch):
    """nbgrader's exporter checked the notebook after every step of a pass (15 checks of a submission's grading): the
    course's settings check it once, after the last, and a notebook a step left invalid is still refused."""
    import nbformat
    from nbconvert.exporters import Exporter, NotebookExporter
    from nbconvert.preprocessors import Preprocessor

    from grader.config import course_config

    class Breaks(Preprocessor):
        def preprocess(self, nb, resources):
            nb.cells[0]["execution_count"] = "not a number"
            return nb, resources

    class Keeps(Preprocessor):
        def preprocess(self, nb, resources):
            return nb, resources

    checks = []
    original = Exporter._validate_preprocessor
    monkeypatch.setattr(Exporter, "_validate_preprocessor",
                        lambda self, nb, preprocessor: (checks.append(preprocessor), original(self, nb, preprocessor)))
    exporter = NotebookExporter(config=course_config())
    for _ in range(3):
        exporter.register_preprocessor(Keeps(), enabled=True)
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])
    exporter.from_notebook_node(notebook)
    assert len(checks) == 1
    exporter.register_preprocessor(Breaks(), enabled=True)
    with pytest.raises(nbformat.ValidationError):
        exporter.from_notebook_node(notebook)
