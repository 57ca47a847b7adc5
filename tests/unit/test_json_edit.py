"""json_edit's splices on the cases generators rarely produce."""

from __future__ import annotations

import json

from ccwrap.settings import json_splice as json_edit
from ccwrap.settings.ownership import HELPER, Ownership, apply, clear


def test_duplicate_keys_edit_the_one_that_counts() -> None:
    doc = '{"env": {"A": "1"}, "env": {"B": "2"}}'
    edit = apply(doc, {("env", "X"): "x"}, Ownership())
    assert edit.text is not None
    assert json.loads(edit.text)["env"] == {"B": "2", "X": "x"}  # JSON.parse keeps the last
    assert edit.text.startswith('{"env": {"A": "1"}')
    assert clear(edit.text, edit.ownership).text == doc


def test_strings_with_braces_quotes_and_escapes_do_not_confuse_the_scanner() -> None:
    doc = '{"a": "}{\\"env\\": {", "b\\u00e9": ["{", {"env": {}}], "env": {"K": "\\\\"}}'
    top = json_edit.top_object(doc)
    assert [m.key for m in top.members] == ["a", "b\u00e9", "env"]
    edit = apply(doc, {("env", "X"): "x", HELPER: "h"}, Ownership())
    assert edit.text is not None
    assert json.loads(edit.text)["a"] == '}{"env": {'
    assert clear(edit.text, edit.ownership).text == doc


def test_a_new_env_follows_the_documents_indentation() -> None:
    doc = '{\n    "a": 1\n}\n'
    edit = apply(doc, {("env", "X"): "x"}, Ownership())
    assert edit.text == '{\n    "a": 1,\n    "env": {\n        "X": "x"\n    }\n}\n'
    tabs = apply('{\n\t"a": 1\n}', {("env", "X"): "x"}, Ownership()).text
    assert tabs == '{\n\t"a": 1,\n\t"env": {\n\t\t"X": "x"\n\t}\n}'


def test_non_ascii_is_written_unescaped() -> None:
    edit = apply('{"a": "ü"}', {("env", "M"): "模型"}, Ownership())
    assert edit.text == '{"a": "ü", "env": {"M": "模型"}}'
