"""Streaming ONNX recognizer: one model step (T=1) per new frame per track, tracks batched.

The model contract (written by ``skelapp export``): one ONNX file with inputs ``x``
``[B, T, 20, C]`` float32 (features of :class:`~skelapp.core.normalize.StreamingFeaturizer`,
canonical layout, the model's fps) and ``state_0 .. state_{n-1}``; outputs ``logits``
``[B, T, K]`` and ``state_out_0 ..``. All-zero states mean a fresh stream. Metadata props:
``skelapp.labels`` (JSON list), ``skelapp.feature_config`` (JSON FeatureConfig),
``skelapp.layout`` (``canonical20``), ``skelapp.state_shapes`` (JSON list of shapes without
batch) and, optionally, ``skelapp.typical_durations`` (JSON list or {label: s}, seconds).
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from .errors import SkelappError
from .layouts import CANONICAL
from .normalize import FeatureConfig

DEFAULT_DURATION_S = 3.0


class ModelError(SkelappError, RuntimeError):
    """The model file is missing, unreadable or does not follow the skelapp contract."""


def default_model_path() -> Path | None:
    """``skelapp/assets/model.onnx`` when it is bundled, else None."""
    try:
        p = resources.files("skelapp.assets") / "model.onnx"
    except (ModuleNotFoundError, TypeError):
        return None
    return Path(str(p)) if p.is_file() else None


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


@dataclass
class ModelInfo:
    """What the recognizer reads from the model's metadata."""

    labels: list[str]
    feature_config: FeatureConfig
    layout: str
    state_shapes: list[tuple[int, ...]]
    typical_durations: list[float] = field(default_factory=list)

    @property
    def num_classes(self) -> int:
        return len(self.labels)

    @property
    def fps(self) -> float:
        return self.feature_config.fps


def _meta_json(meta: Mapping[str, str], key: str, path: Path, default=None):
    if key not in meta:
        if default is not None:
            return default
        raise ModelError(f"{path}: not a skelapp model (metadata {key!r} missing)")
    try:
        return json.loads(meta[key])
    except json.JSONDecodeError as e:
        raise ModelError(f"{path}: metadata {key!r} is not valid JSON ({e.msg})") from None


def parse_model_info(meta: Mapping[str, str], path: Path) -> ModelInfo:
    """Read and check the skelapp metadata props of a model."""
    labels = [str(s) for s in _meta_json(meta, "skelapp.labels", path)]
    fc = FeatureConfig.from_dict(_meta_json(meta, "skelapp.feature_config", path))
    layout = meta.get("skelapp.layout", "")
    if layout != CANONICAL.name:
        raise ModelError(
            f"{path}: model expects {CANONICAL.name} input, but its metadata says layout {layout!r}"
        )
    shapes = [tuple(int(d) for d in s) for s in _meta_json(meta, "skelapp.state_shapes", path)]
    dur = _meta_json(meta, "skelapp.typical_durations", path, default=[])
    if isinstance(dur, dict):
        dur = [float(dur.get(lab, DEFAULT_DURATION_S)) for lab in labels]
    durations = [float(d) for d in dur] if len(dur) == len(labels) else [DEFAULT_DURATION_S] * len(labels)
    return ModelInfo(labels, fc, layout, shapes, durations)


def _providers(prefer_gpu: bool) -> list[str]:
    import onnxruntime as ort

    avail = ort.get_available_providers()
    wanted = ["CUDAExecutionProvider"] if prefer_gpu else []
    return [p for p in wanted if p in avail] + ["CPUExecutionProvider"]


class StreamingRecognizer:
    """Holds one ONNX Runtime session and a recurrent state per track.

    ``step({track: features (20, C)})`` runs one streaming step for every given track in one
    batched call and returns ``{track: logits (K,)}``; the window is never re-run.
    """

    def __init__(self, model_path: str | Path | None = None, prefer_gpu: bool = True, threads: int = 1):
        path = Path(model_path) if model_path is not None else default_model_path()
        if path is None:
            raise ModelError("no model given and no bundled skelapp/assets/model.onnx; pass --model FILE")
        if not path.is_file():
            raise ModelError(f"model file not found: {path}")
        self.path = path
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        try:
            self.session = ort.InferenceSession(str(path), opts, providers=_providers(prefer_gpu))
        except Exception as e:  # ORT raises several private exception types
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise ModelError(f"cannot load ONNX model {path}: {first}") from None
        self.info = parse_model_info(self.session.get_modelmeta().custom_metadata_map, path)
        self._check_io()
        self._states: dict[Hashable, list[np.ndarray]] = {}

    # -- contract checks -------------------------------------------------------------------
    def _check_io(self) -> None:
        ins = {i.name: i for i in self.session.get_inputs()}
        outs = {o.name for o in self.session.get_outputs()}
        n = len(self.info.state_shapes)
        need_in = ["x"] + [f"state_{i}" for i in range(n)]
        need_out = ["logits"] + [f"state_out_{i}" for i in range(n)]
        missing = [k for k in need_in if k not in ins] + [k for k in need_out if k not in outs]
        if missing:
            raise ModelError(f"{self.path}: not a skelapp streaming model (missing {', '.join(missing)})")
        shape = ins["x"].shape
        c = self.info.feature_config.channels
        bad_c = isinstance(shape[3], int) and shape[3] != c if len(shape) == 4 else True
        if len(shape) != 4 or shape[2] != CANONICAL.num_joints or bad_c:
            raise ModelError(
                f"{self.path}: model expects {CANONICAL.name} features [B, T, {CANONICAL.num_joints}, {c}], "
                f"but its input x is {list(shape)}"
            )
        self.dynamic_batch = not isinstance(shape[0], int)
        self._state_names = need_in[1:]
        self._out_names = need_out

    # -- properties ------------------------------------------------------------------------
    @property
    def provider(self) -> str:
        """The execution provider actually in use (e.g. ``CPUExecutionProvider``)."""
        return self.session.get_providers()[0]

    @property
    def labels(self) -> list[str]:
        return self.info.labels

    @property
    def feature_config(self) -> FeatureConfig:
        return self.info.feature_config

    @property
    def num_classes(self) -> int:
        return self.info.num_classes

    # -- state -----------------------------------------------------------------------------
    def zero_state(self) -> list[np.ndarray]:
        return [np.zeros(s, np.float32) for s in self.info.state_shapes]

    def reset(self, track: Hashable) -> None:
        """Start *track* fresh (zero state) at its next step."""
        self._states.pop(track, None)

    def drop(self, track: Hashable) -> None:
        self._states.pop(track, None)

    @property
    def tracks(self) -> list[Hashable]:
        return list(self._states)

    # -- inference -------------------------------------------------------------------------
    def run(self, x: np.ndarray, states: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
        """Raw call: ``x`` [B, T, 20, C], states with batch -> logits [B, T, K], new states."""
        feed = {"x": np.ascontiguousarray(x, np.float32)}
        for name, s in zip(self._state_names, states, strict=True):
            feed[name] = np.ascontiguousarray(s, np.float32)
        try:
            out = self.session.run(self._out_names, feed)
        except Exception as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise ModelError(f"{self.path}: inference failed: {first}") from None
        return out[0], out[1:]

    def step(self, features: Mapping[Hashable, np.ndarray]) -> dict[Hashable, np.ndarray]:
        """One streaming step: ``{track: (20, C)}`` -> ``{track: logits (K,)}``; updates states."""
        tracks = list(features)
        if not tracks:
            return {}
        if not self.dynamic_batch:
            return {t: self._step_batch([t], features)[t] for t in tracks}
        return self._step_batch(tracks, features)

    def _step_batch(self, tracks: list[Hashable], features: Mapping[Hashable, np.ndarray]):
        x = np.stack([features[t] for t in tracks])[:, None]  # [B, 1, 20, C]
        per_track = [self._states.get(t) or self.zero_state() for t in tracks]
        states = [np.stack([s[i] for s in per_track]) for i in range(len(self.info.state_shapes))]
        logits, new = self.run(x, states)
        for b, t in enumerate(tracks):
            self._states[t] = [s[b] for s in new]
        return {t: logits[b, -1] for b, t in enumerate(tracks)}

    def run_offline(self, features: np.ndarray) -> np.ndarray:
        """Whole sequence ``(T, 20, C)`` from a zero state -> logits ``(T, K)`` (does not touch tracks)."""
        states = [s[None] for s in self.zero_state()]
        logits, _ = self.run(features[None], states)
        return logits[0]
