"""`feedloop nlp` commands through click's runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from nlp import cli


@pytest.fixture()
def runner(engine: object, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A runner whose commands reuse the session's loaded engine."""
    monkeypatch.setattr(cli, "_load_engine", lambda: engine)
    return CliRunner()


def test_evaluate_prints_table_and_json_summary(runner: CliRunner, fixtures_dir: Path) -> None:
    """--json ends with one JSON object holding the summary keys."""
    result = runner.invoke(cli.nlp_cli, ["evaluate", "--data", str(fixtures_dir / "labelled.jsonl"), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    for key in ("categories_macro_f1", "categories_micro_f1", "sentiment_macro_f1", "praise_f1", "referral_f1",
                "churn_f1", "people_f1"):
        assert 0.0 <= summary[key] <= 1.0
    assert "category:reliability_bugs" in result.stdout


def test_evaluate_with_train(runner: CliRunner, fixtures_dir: Path) -> None:
    """--train learns the labels first and reports a trained model version."""
    path = str(fixtures_dir / "labelled.jsonl")
    result = runner.invoke(cli.nlp_cli, ["evaluate", "--data", path, "--train", path, "--json"])
    assert result.exit_code == 0, result.output
    assert not json.loads(result.stdout.strip().splitlines()[-1])["model_version"].endswith("+zs")


def test_bad_json_line_exits_2_with_line_number(runner: CliRunner, tmp_path: Path) -> None:
    """A malformed line gives a clear message with its number, exit code 2 and no traceback."""
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "fine"}\n{"text": \n')
    result = runner.invoke(cli.nlp_cli, ["analyze", str(bad)])
    assert result.exit_code == 2
    assert "line 2" in result.output and "Traceback" not in result.output


def test_missing_file_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    """A missing data file is an input error, not a crash."""
    result = runner.invoke(cli.nlp_cli, ["evaluate", "--data", str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 2 and "no such file" in result.output


def test_analyze_writes_labelled_schema(runner: CliRunner, fixtures_dir: Path, tmp_path: Path) -> None:
    """Each output line has the labelled-file fields plus confidences and evidence."""
    out = tmp_path / "out.jsonl"
    result = runner.invoke(cli.nlp_cli, ["analyze", str(fixtures_dir / "labelled.jsonl"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == 12 and lines[0]["id"] == "t01"
    for key in ("categories", "sentiment", "praise", "praise_targets", "people", "referral_signal", "churn_risk",
                "sentiment_confidence", "clauses"):
        assert key in lines[0]


def test_fewshot_json(runner: CliRunner, fixtures_dir: Path) -> None:
    """fewshot prints accuracy per seed and a JSON line with the mean."""
    result = runner.invoke(cli.nlp_cli, ["fewshot", "--train", str(fixtures_dir / "fewshot_train.csv"), "--test",
                                         str(fixtures_dir / "fewshot_test.csv"), "--shots", "2", "--seeds", "0,1",
                                         "--epochs", "1", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout.strip().splitlines()[-1])
    assert len(payload["accuracies"]) == 2 and "accuracy_mean" in payload


def test_bench_json(runner: CliRunner) -> None:
    """bench reports raw and pipeline throughput and their ratio."""
    result = runner.invoke(cli.nlp_cli, ["bench", "--n", "24", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout.strip().splitlines()[-1])
    assert payload["raw_per_s"] > 0 and payload["pipeline_per_s"] > 0 and payload["ratio"] > 0
