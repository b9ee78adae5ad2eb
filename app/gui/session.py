"""Turn the user's :class:`SourceSpec` into a running pipeline (source + recognizer)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from skelapp.core.errors import SkelappError
from skelapp.devices.base import SourceError
from skelapp.devices.factory import SourceSpec as FactorySpec
from skelapp.devices.factory import build_source as build_spec_source

from .controls import SourceSpec
from .video_sync import VideoOverlaySource

PipelineFactory = Callable[[object, object], object]


class SessionError(SkelappError, RuntimeError):
    """The chosen source or model could not be set up; the message says why."""


def _need(path: str, what: str) -> Path:
    if not path:
        raise SessionError(f"choose a {what} first")
    p = Path(path).expanduser()
    if not p.exists():
        raise SessionError(f"{what} not found: {p}")
    return p


def build_source(spec: SourceSpec):
    """A :class:`~skelapp.devices.base.SkeletonSource` for *spec* (not opened yet); the factory
    checks the input file, :func:`_need` only the optional overlay video."""
    try:
        src = build_spec_source(FactorySpec(spec.kind, spec.path, spec.camera, spec.speed, spec.fast,
                                            spec.loop, pace=spec.kind == "video" and not spec.fast))
    except SourceError as e:
        raise SessionError(str(e)) from None
    if spec.kind == "replay" and spec.video:
        src = VideoOverlaySource(src, _need(spec.video, "video file"))
    return src


class RecognizerCache:
    """Loads the ONNX model once per path; a fresh recognizer state per run via ``reset``."""

    def __init__(self, prefer_gpu: bool = True) -> None:
        self.prefer_gpu = prefer_gpu
        self._key: str | None = None
        self._rec = None

    def get(self, model: str):
        from skelapp.core.recognizer import StreamingRecognizer

        key = str(Path(model).expanduser()) if model else ""
        if self._rec is None or key != self._key:
            try:
                self._rec = StreamingRecognizer(key or None, prefer_gpu=self.prefer_gpu)
            except SkelappError as e:
                raise SessionError(str(e)) from None
            except ImportError as e:
                raise SessionError(f"the recognizer needs onnxruntime: {e}") from None
            self._key = key
        for t in list(getattr(self._rec, "tracks", [])):
            self._rec.drop(t)
        return self._rec


def default_pipeline_factory(source, recognizer):
    """The real threaded pipeline; replays "as fast as possible" run lossless (no drops)."""
    from skelapp.app.pipeline import Pipeline

    return Pipeline(source, recognizer, lossless=bool(getattr(source, "fast", False)))
