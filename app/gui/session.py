"""Turn the user's :class:`SourceSpec` into a running pipeline (source + recognizer)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

from skelapp.core.errors import SkelappError

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


def _device_class(module: str, names: tuple[str, ...]):
    try:
        mod = importlib.import_module(module)
    except ImportError as e:
        raise SessionError(f"{module} is not available: {e}") from None
    for n in names:
        if hasattr(mod, n):
            return getattr(mod, n)
    raise SessionError(f"{module} has none of {', '.join(names)}")


def build_source(spec: SourceSpec):
    """A :class:`~skelapp.devices.base.SkeletonSource` for *spec* (not opened yet)."""
    if spec.kind == "replay":
        from skelapp.devices.replay import ReplaySource

        path = _need(spec.path, "skeleton file")
        src = ReplaySource(path, speed=spec.speed, fast=spec.fast, loop=spec.loop)
        if spec.video:
            src = VideoOverlaySource(src, _need(spec.video, "video file"))
        return src
    if spec.kind in ("video", "camera"):
        cls = _device_class("skelapp.devices.webcam", ("WebcamSource",))
        arg = str(_need(spec.path, "video file")) if spec.kind == "video" else int(spec.camera)
        return cls(arg, mirrored=spec.kind == "camera")
    if spec.kind == "kinect":
        return _device_class("skelapp.devices.kinect", ("KinectSource", "AzureKinectSource"))()
    if spec.kind == "kinect_playback":
        path = _need(spec.path, "Kinect recording")
        mod = "skelapp.devices.kinect"
        cls = _device_class(mod, ("KinectPlaybackSource", "AzureKinectPlaybackSource", "KinectSource"))
        try:
            return cls(playback=str(path))
        except TypeError:
            return cls(str(path))
    raise SessionError(f"unknown source kind {spec.kind!r}")


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
