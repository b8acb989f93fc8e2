"""`airace annotate` on hostile input: every field checked, one line naming the line, exit 2, and
an output file written only when the run succeeds (temporary file + rename)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ({"id": 1, "text": "Nvidia rose.", "language": 42}, '"language" must be a string, got 42'),
        ({"id": 1, "text": "Nvidia rose.", "title": 7}, '"title" must be a string, got 7'),
        ({"id": 1, "text": "Nvidia rose.", "published": []}, '"published" must be a string'),
        ({"id": [1], "text": "Nvidia rose."}, '"id" must be a string or an integer'),
        ({"id": True, "text": "Nvidia rose."}, '"id" must be a string or an integer'),
        ({"id": 1, "text": 5}, 'expected an object with a "text" string'),
        ({"id": 1, "text": "x", "targets": "Nvidia"}, '"targets" must be a list of names'),
        ({"id": 1, "text": "x", "targets": ["Nvidia", 3]}, '"targets" must be a list of names'),
        ({"id": 1, "text": "x", "targets": [""]}, '"targets" must be a list of names'),
        (["a list"], "expected a JSON object"),
    ],
)
def test_a_bad_field_is_one_line_naming_the_line(cli: Any, tmp_path: Path, line: Any,
                                                 message: str) -> None:  # fmt: skip
    src = tmp_path / "in.jsonl"
    good = {"id": 0, "text": "Nvidia rose 3% on Monday."}
    src.write_text(json.dumps(good) + "\n" + json.dumps(line) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = cli("annotate", str(src), "-o", str(out))
    assert result.exit_code == 2, result.stderr
    assert f"in.jsonl:2: {message}" in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert not out.exists()


def test_not_utf8_is_one_line(cli: Any, tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_bytes(b'{"id": 1, "text": "caf\xe9"}\n')
    result = cli("annotate", str(src))
    assert result.exit_code == 2 and "not UTF-8" in result.stderr
    assert result.stderr.count("\n") == 1


def test_a_failed_run_leaves_the_previous_output_untouched(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The analysis dies after writing one line: -o keeps its old content, no temporary file."""
    import airace.stages as stages

    class Dying:
        def load(self) -> Dying:
            return self

        def annotate(self, items: Any) -> Any:
            yield {"id": 1}
            raise RuntimeError("model crashed")

    monkeypatch.setattr(stages, "make_analyzer", lambda settings, embeddings=True, kb=None: Dying())
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": 1, "text": "a"}\n{"id": 2, "text": "b"}\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    out.write_text("previous\n", encoding="utf-8")
    with pytest.raises(RuntimeError, match="model crashed"):  # a bug: the traceback is kept
        cli("annotate", str(src), "-o", str(out))
    assert out.read_text(encoding="utf-8") == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "out.jsonl"]


def test_a_good_run_replaces_the_output(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import airace.stages as stages

    class Echo:
        def load(self) -> Echo:
            return self

        def annotate(self, items: Any) -> Any:
            for item in items:
                yield {"id": item["id"], "targets": item.get("targets")}

    monkeypatch.setattr(stages, "make_analyzer", lambda settings, embeddings=True, kb=None: Echo())
    src = tmp_path / "in.jsonl"
    src.write_text('{"text": "a", "targets": ["Infosys"]}\n\n{"id": "b", "text": "b"}\n')
    out = tmp_path / "sub" / "out.jsonl"
    result = cli("annotate", str(src), "-o", str(out))
    assert result.exit_code == 0, result.stderr
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert lines == [{"id": 1, "targets": ["Infosys"]}, {"id": "b", "targets": None}]
    assert [p.name for p in out.parent.iterdir()] == ["out.jsonl"]
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask  # not the temporary file's 0600


def test_train_stance_without_its_data_is_one_line(cli: Any, tmp_path: Path) -> None:
    result = cli("train", "stance", "--data", str(tmp_path / "missing.csv"))
    assert result.exit_code == 2
    assert "SEntFiN data not found" in result.stderr and result.stderr.count("\n") == 1


def test_a_stance_model_setting_that_is_not_a_file_is_one_line(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRACE_STANCE_MODEL", str(tmp_path / "nope.json"))
    src = tmp_path / "in.jsonl"
    src.write_text('{"text": "Nvidia rose."}\n', encoding="utf-8")
    result = cli("annotate", str(src))
    assert result.exit_code == 2 and "stance_model: no such file" in result.stderr
