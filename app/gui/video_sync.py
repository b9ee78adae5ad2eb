"""Show a recording's RGB video under its replayed skeleton.

:func:`find_companion_video` finds the NTU-style video for a skeleton file
(``S001C001P001R001A001.skeleton`` -> ``S001C001P001R001A001_rgb.avi`` next to it, in a sibling
``videos`` folder, or in ``videos`` one level up). :class:`VideoOverlaySource` wraps any
skeleton source and attaches the video frame with the same index as ``frame.image``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

from skelapp.core.skeleton import SkeletonFrame

VIDEO_SUFFIXES = ("_rgb.avi", "_rgb.mp4", ".avi", ".mp4", ".mkv")


def skeleton_stem(path: str | Path) -> str:
    name = Path(path).name
    for suffix in (".skel.npz", ".skeleton", ".npz", ".json", ".txt", ".csv"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return Path(path).stem


def find_companion_video(skeleton_path: str | Path) -> Path | None:
    """The RGB video recorded with *skeleton_path*, or None."""
    p = Path(skeleton_path)
    stem = skeleton_stem(p)
    folders = [p.parent, p.parent / "videos", p.parent.parent / "videos"]
    for folder in folders:
        for suffix in VIDEO_SUFFIXES:
            cand = folder / f"{stem}{suffix}"
            if cand.is_file() and cand != p:
                return cand
    return None


class VideoOverlaySource:
    """Wraps a skeleton source; each frame gets ``image`` = video frame ``frame.index`` (BGR).

    Indices past the end of the video wrap around (a looping replay keeps counting up).
    """

    def __init__(self, inner, video_path: str | Path) -> None:
        self.inner = inner
        self.video_path = Path(video_path)
        self.name = f"{getattr(inner, 'name', 'source')} + {self.video_path.name}"
        self.nominal_fps = getattr(inner, "nominal_fps", 30.0)
        self.layout = getattr(inner, "layout", None)
        self.mirrored = getattr(inner, "mirrored", False)
        self._cap = None
        self._next = 0
        self._count = 0  # frames in the video (0: unknown)

    def __getattr__(self, item: str):  # dropped_frames, speed, ... of the wrapped source
        if item == "inner":
            raise AttributeError(item)
        return getattr(self.inner, item)

    def open(self) -> None:
        import cv2

        if not self.video_path.is_file():
            raise FileNotFoundError(f"video not found: {self.video_path}")
        self.inner.open()
        self._cap = cv2.VideoCapture(str(self.video_path))
        if not self._cap.isOpened():
            raise OSError(f"cannot open video {self.video_path}")
        self._next = 0
        self._count = max(0, int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT)))

    def _image(self, index: int):
        import cv2

        cap = self._cap
        if cap is None:
            return None
        if self._count:
            index %= self._count  # a looping replay starts the video over too
        if index != self._next:
            cap.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, img = cap.read()
        self._next = index + 1 if ok else -1
        return img if ok else None

    def frames(self) -> Iterator[SkeletonFrame]:
        if self._cap is None:
            self.open()
        try:
            for f in self.inner.frames():
                yield dataclasses.replace(f, image=self._image(f.index))
        finally:
            cap, self._cap = self._cap, None
            if cap is not None:
                cap.release()

    def close(self) -> None:
        self.inner.close()  # frames() releases the video when the generator ends

    def __enter__(self):
        self.open()
        return self

    def __exit__(self, *exc) -> None:
        self.close()
