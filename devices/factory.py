"""Build any skeleton source from a plain description (used by the CLI and the GUI alike).

Live-device modules are imported only when asked for, so a missing optional dependency
(MediaPipe/OpenCV for ``video``/``camera``, pyk4a for ``kinect``) surfaces as a
:class:`~skelapp.devices.base.SourceError` naming the extra to install.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

from .base import SourceError

KINDS = ("replay", "video", "camera", "kinect", "kinect_playback")


@dataclass
class SourceSpec:
    """What to open. ``mirrored=None`` keeps the source's own default; ``pace`` (video files):
    play at the file's frame rate, dropping late frames, instead of as fast as processed."""

    kind: str
    path: str = ""  # replay / video / kinect_playback file
    camera: int = 0
    speed: float = 1.0
    fast: bool = False
    loop: bool = False
    mirrored: bool | None = None
    pace: bool = False


def _load(module: str, cls: str, what: str, extra: str):
    try:
        return getattr(importlib.import_module(module), cls)
    except ImportError as e:
        raise SourceError(
            f"{what} is not available ({e}); install it with `pip install 'skelapp[{extra}]'`"
        ) from None


def _existing(path: str, what: str) -> str:
    if not path:
        raise SourceError(f"no {what} given")
    if not Path(path).expanduser().is_file():
        raise SourceError(f"{what} not found: {path} (no such file)")
    return str(Path(path).expanduser())


def build_source(spec: SourceSpec):
    """A :class:`~skelapp.devices.base.SkeletonSource` for *spec*, not opened yet."""
    mirror = {} if spec.mirrored is None else {"mirrored": spec.mirrored}
    if spec.kind == "replay":
        from .replay import ReplaySource

        return ReplaySource(_existing(spec.path, "skeleton file"), speed=spec.speed, fast=spec.fast,
                            loop=spec.loop)
    if spec.kind in ("video", "camera"):
        cls = _load("skelapp.devices.webcam", "WebcamSource", "video/camera input", "video")
        if spec.kind == "video":
            return cls(_existing(spec.path, "video file"), pace=spec.pace, **mirror)
        return cls(int(spec.camera), **mirror)
    if spec.kind == "kinect":
        return _load("skelapp.devices.kinect", "KinectSource", "Azure Kinect input", "kinect")(**mirror)
    if spec.kind == "kinect_playback":
        cls = _load("skelapp.devices.kinect", "KinectPlaybackSource", "Azure Kinect playback", "kinect")
        return cls(_existing(spec.path, "Azure Kinect recording"), **mirror)
    raise SourceError(f"unknown source kind {spec.kind!r}; expected one of {', '.join(KINDS)}")
