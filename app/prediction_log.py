"""Prediction logs: JSONL or CSV, one record per update, flushed after every line.

Records (``type`` field/column): one ``start`` (source, model, labels, provider, warning), one
``update`` per :class:`PredictionUpdate`, and a final ``summary`` (frames, updates, dropped,
mean/p95 latency, provider, error). Each line is written with a single ``write`` and flushed,
so a process killed with SIGKILL loses at most the line being written.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

from skelapp.core.prediction import PredictionUpdate

CSV_COLUMNS = [
    "type", "time", "frame_index", "body_id", "label", "committed", "observed", "segment_id",
    "latency_ms", "top1", "p1", "top2", "p2", "top3", "p3", "probabilities", "info",
]  # fmt: skip


def _clean(v: Any) -> Any:
    """JSON-safe value: floats rounded to 6 digits, NaN/inf -> None."""
    if isinstance(v, float):
        return round(v, 6) if math.isfinite(v) else None
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    return v


class PredictionLog:
    """Base: line-oriented writer; subclasses format records."""

    suffixes: tuple[str, ...] = ()

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._fh = open(self.path, "w", encoding="utf-8", newline="")  # noqa: SIM115 - closed in close()
        self.updates = 0
        self.closed = False

    def _line(self, text: str) -> None:
        self._fh.write(text)
        self._fh.flush()

    def write_start(self, info: dict) -> None:
        self._write_record("start", _clean(info))

    def write(self, update: PredictionUpdate) -> None:
        self.updates += 1
        self._write_update(update)

    def write_summary(self, summary: dict) -> None:
        self._write_record("summary", _clean(summary))

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._fh.close()

    def __enter__(self) -> PredictionLog:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _write_record(self, kind: str, data: dict) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _write_update(self, update: PredictionUpdate) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


class JsonlLog(PredictionLog):
    suffixes = (".jsonl", ".json", ".ndjson")

    def _write_record(self, kind: str, data: dict) -> None:
        self._line(json.dumps({"type": kind, **data}, allow_nan=False) + "\n")

    def _write_update(self, update: PredictionUpdate) -> None:
        self._write_record("update", _clean(update.to_record()))


class CsvLog(PredictionLog):
    """Fixed columns; ``start``/``summary`` data go to the ``info`` column as JSON."""

    suffixes = (".csv",)

    def __init__(self, path: str | Path) -> None:
        super().__init__(path)
        self._row(CSV_COLUMNS)

    def _row(self, values: list) -> None:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerow(values)
        self._line(buf.getvalue())

    def _write_record(self, kind: str, data: dict) -> None:
        row = {"type": kind, "info": json.dumps(data, allow_nan=False)}
        self._row([row.get(c, "") for c in CSV_COLUMNS])

    def _write_update(self, update: PredictionUpdate) -> None:
        u = _clean(update.to_record())
        row = {k: u[k] for k in ("time", "frame_index", "body_id", "label", "committed", "observed",
                                 "segment_id", "latency_ms")}
        row["type"] = "update"
        for i, c in enumerate(u["top"][:3], 1):
            row[f"top{i}"], row[f"p{i}"] = c["label"], c["probability"]
        row["probabilities"] = json.dumps(u["probabilities"])
        self._row([row.get(c, "") for c in CSV_COLUMNS])


def open_prediction_log(path: str | Path) -> PredictionLog:
    """A JSONL (``.jsonl``/``.json``/``.ndjson``) or CSV (``.csv``) log, by suffix; missing parent
    folders are created."""
    p = Path(path)
    for cls in (JsonlLog, CsvLog):
        if p.suffix.lower() in cls.suffixes:
            p.parent.mkdir(parents=True, exist_ok=True)
            return cls(p)
    raise ValueError(f"log file must end in .jsonl or .csv, got {p.name!r}")


def read_jsonl(path: str | Path) -> list[dict]:
    """All complete records of a JSONL log (a torn last line is skipped)."""
    out = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return out
