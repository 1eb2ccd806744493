"""`feedloop nlp ...`: evaluate, analyze, fewshot and bench, with no Flask app or database needed."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from nlp.errors import DataFileError

if TYPE_CHECKING:
    from nlp.evaluate import Row


class InputError(click.ClickException):
    """A bad input file: a clear message and exit code 2, no traceback."""

    exit_code = 2


nlp_cli = click.Group("nlp", help="Analyse customer verbatims and measure the NLP engine (offline, CPU or GPU).")


@contextmanager
def _bar(length: int, label: str) -> Iterator[Any]:
    """A progress bar on stderr, so --json output on stdout stays clean."""
    with click.progressbar(length=length, label=label, file=sys.stderr, show_pos=True) as bar:
        yield bar


_ENGINES: dict[str, Any] = {}


def _load_engine() -> Any:
    """Load the zero-shot engine once per process (the slow part), turning load errors into clean CLI errors."""
    from nlp.engine import Engine, EngineLoadError, EngineSettings

    settings = EngineSettings.from_env()
    key = f"{settings.model_path}|{settings.device}"
    if key not in _ENGINES:
        click.echo("loading the NLP engine...", err=True)
        try:
            _ENGINES[key] = Engine.load(settings)
        except EngineLoadError as exc:
            raise click.ClickException(str(exc)) from None
    return _ENGINES[key]


def _rows(path: str, labelled: bool) -> list["Row"]:
    """Read a JSONL file or stop with a clear message."""
    from nlp.evaluate import read_jsonl

    try:
        return read_jsonl(path, labelled=labelled)
    except DataFileError as exc:
        raise InputError(str(exc)) from None


def _analyze(engine: Any, rows: Sequence["Row"], label: str) -> list[dict[str, Any]]:
    """Analyse rows in batches with a progress bar, returning output records."""
    from nlp.evaluate import prediction_record

    out: list[dict[str, Any]] = []
    with _bar(len(rows), label) as bar:
        for start in range(0, len(rows), 64):
            part = rows[start:start + 64]
            for row, analysis in zip(part, engine.analyze([r.as_input() for r in part])):
                out.append(prediction_record(row.id, analysis))
            bar.update(len(part))
    return out


def _train(engine: Any, rows: Sequence["Row"]) -> Any:
    """Learn rows as human corrections and return an engine using the trained model."""
    from nlp.training import train

    click.echo(f"learning {len(rows)} labelled verbatims as corrections...", err=True)
    blob = train(engine, [r.as_example() for r in rows])
    return engine.with_trained(blob)


def _print_metrics(result: dict[str, Any]) -> None:
    """Per-label table then the summary, for people."""
    click.echo(f"{'label':38} {'precision':>9} {'recall':>7} {'f1':>7} {'support':>8}")
    for name, m in result["per_label"].items():
        click.echo(f"{name:38} {m['precision']:9.3f} {m['recall']:7.3f} {m['f1']:7.3f} {m['support']:8d}")
    click.echo("")
    for key, value in result["summary"].items():
        click.echo(f"{key:38} {value}")


@nlp_cli.command("evaluate")
@click.option("--data", "data_path", required=True, help="Labelled JSONL (shared/data/README.md format).")
@click.option("--train", "train_path", default=None, help="Labelled JSONL learnt first as human corrections.")
@click.option("--cv", "folds", type=int, default=None,
              help="Cross-validate on --data with this many folds instead (train on k-1, score the rest).")
@click.option("--seed", type=int, default=0, show_default=True, help="Fold shuffling seed for --cv.")
@click.option("--json", "as_json", is_flag=True, help="End with one JSON line of the summary.")
def evaluate_command(data_path: str, train_path: str | None, folds: int | None, seed: int, as_json: bool) -> None:
    """Per-label precision/recall/F1 and summary scores of the engine on a labelled file."""
    from nlp.evaluate import cv_folds, score_predictions

    rows = _rows(data_path, labelled=True)
    train_rows = _rows(train_path, labelled=True) if train_path else None
    if folds is not None and (folds < 2 or folds > len(rows)):
        raise InputError(f"--cv must be between 2 and the number of rows ({len(rows)})")
    engine = _load_engine()
    if folds:
        preds: list[dict[str, Any] | None] = [None] * len(rows)
        for k, test_idx in enumerate(cv_folds(rows, folds, seed), start=1):
            test_set = set(test_idx.tolist())
            fold_engine = _train(engine, [r for i, r in enumerate(rows) if i not in test_set])
            for i, rec in zip(test_idx, _analyze(fold_engine, [rows[i] for i in test_idx], f"fold {k}/{folds}")):
                preds[int(i)] = rec
        predictions = [p for p in preds if p is not None]
    else:
        if train_rows:
            engine = _train(engine, train_rows)
        predictions = _analyze(engine, rows, "analysing")
    result = score_predictions(rows, predictions, engine.taxonomy.keys)
    result["summary"]["model_version"] = engine.model_version if not folds else f"cv{folds}:{engine.model_version}"
    _print_metrics(result)
    if as_json:
        click.echo(json.dumps(result["summary"], sort_keys=True))


@nlp_cli.command("analyze")
@click.argument("input_path", metavar="FILE.jsonl")
@click.option("--out", "out_path", default=None, help="Write JSONL here instead of stdout.")
@click.option("--train", "train_path", default=None, help="Labelled JSONL learnt first as human corrections.")
def analyze_command(input_path: str, out_path: str | None, train_path: str | None) -> None:
    """Analyse the `text` of each line and write one JSON object per line (labelled-file schema + evidence)."""
    rows = _rows(input_path, labelled=False)
    train_rows = _rows(train_path, labelled=True) if train_path else None
    engine = _load_engine()
    if train_rows:
        engine = _train(engine, train_rows)
    records = _analyze(engine, rows, "analysing")
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    if out_path:
        Path(out_path).write_text(lines, encoding="utf-8")
        click.echo(f"wrote {len(records)} analyses to {out_path}", err=True)
    else:
        click.echo(lines, nl=False)


@nlp_cli.command("fewshot")
@click.option("--train", "train_path", required=True, help="CSV (text,category) or JSONL (text,label).")
@click.option("--test", "test_path", required=True, help="CSV (text,category) or JSONL (text,label).")
@click.option("--shots", type=int, default=None, help="Examples per class per seed; all of --train without it.")
@click.option("--seeds", default="0,1,2", show_default=True, help="Comma-separated sampling seeds.")
@click.option("--tune/--no-tune", default=True, show_default=True,
              help="Fine-tune the encoder contrastively per seed (SetFit-style) or keep it frozen.")
@click.option("--epochs", type=int, default=None, help="Fine-tuning epochs (default 4 few-shot, 1 on all data).")
@click.option("--json", "as_json", is_flag=True, help="End with one JSON line.")
def fewshot_command(train_path: str, test_path: str, shots: int | None, seeds: str, tune: bool,
                    epochs: int | None, as_json: bool) -> None:
    """Few-shot text classification accuracy over sentence embeddings, per seed and mean."""
    from nlp.fewshot import TuneSettings, read_labelled_texts, run_fewshot

    try:
        seed_list = [int(s) for s in seeds.split(",") if s.strip()]
    except ValueError:
        raise InputError("--seeds must be comma-separated integers, e.g. 0,1,2") from None
    if not seed_list:
        raise InputError("--seeds needs at least one seed")
    if shots is not None and shots < 1:
        raise InputError("--shots must be at least 1")
    try:
        train = read_labelled_texts(train_path)
        test = read_labelled_texts(test_path)
    except DataFileError as exc:
        raise InputError(str(exc)) from None
    if epochs is not None and epochs < 1:
        raise InputError("--epochs must be at least 1")
    engine = _load_engine()
    runs = len(seed_list) if shots else 1
    settings = TuneSettings(epochs=epochs or (TuneSettings.epochs if shots else 1)) if tune else None
    with _bar(runs, "training") as bar:
        result = run_fewshot(engine.encoder, train, test, shots, seed_list, tune=settings, progress=bar.update)
    for seed, acc, emb in zip(result["seeds"], result["accuracies"], result["embedding_only"]):  # type: ignore[call-overload]
        click.echo(f"seed {seed}: accuracy {acc:.4f} (embedding classifier alone {emb:.4f})")
    click.echo(f"mean accuracy: {result['accuracy_mean']:.4f} (embedding classifier alone "
               f"{result['embedding_only_mean']:.4f})")
    if as_json:
        click.echo(json.dumps({k: result[k] for k in ("accuracy_mean", "accuracies", "embedding_only_mean",
                                                      "shots", "tuned")}))


@nlp_cli.command("bench")
@click.option("--n", "n", type=int, default=2000, show_default=True, help="Number of comments.")
@click.option("--json", "as_json", is_flag=True, help="End with one JSON line.")
def bench_command(n: int, as_json: bool) -> None:
    """Raw encode throughput vs full pipeline throughput on the same comments, and their ratio."""
    from nlp.bench import run_bench

    if n < 1:
        raise InputError("--n must be at least 1")
    engine = _load_engine()
    with _bar(n, "benchmarking") as bar:
        result = run_bench(engine, n, progress=bar.update)
    click.echo(f"raw encode:  {result['raw_per_s']:.1f} comments/s")
    click.echo(f"pipeline:    {result['pipeline_per_s']:.1f} comments/s")
    click.echo(f"ratio:       {result['ratio']:.3f}  (device {result['device']}, {result['unique_texts']} unique of {n})")
    if as_json:
        click.echo(json.dumps(result))


if __name__ == "__main__":
    nlp_cli(prog_name="feedloop nlp")
