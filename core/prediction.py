"""What the streaming recognizer emits after each update (consumed by GUI and logs)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class ClassScore:
    index: int
    label: str
    probability: float


@dataclass
class PredictionUpdate:
    """One prediction update for one body track.

    ``observed`` estimates how much of the current action has been seen (0..1);
    ``committed`` is False while the label is still an early (tentative) guess.
    ``label`` is the smoothed, hysteresis-filtered label ("idle" when no action).
    """

    time: float  # seconds on the source's clock
    frame_index: int  # index of the source frame that triggered the update
    body_id: int
    top: list[ClassScore]
    label: str
    committed: bool
    observed: float
    probabilities: list[float] = field(default_factory=list)  # all classes, model order
    segment_id: int = -1  # action segment counter on this track (-1 while idle)
    latency_ms: float = 0.0

    def to_record(self) -> dict:
        d = asdict(self)
        d["top"] = [asdict(c) for c in self.top]
        return d
