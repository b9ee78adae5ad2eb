"""The one small protocol every skeleton source implements.

Usage::

    with open_source(...) as src:          # any SkeletonSource
        for frame in src.frames():          # SkeletonFrame objects, in time order
            ...

``frames()`` ends at end of file / when ``close()`` is called / on a fatal device error (then
it raises :class:`SourceError` after yielding every good frame).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, runtime_checkable

from skelapp.core.errors import SkelappError
from skelapp.core.layouts import JointLayout
from skelapp.core.skeleton import SkeletonFrame


class SourceError(SkelappError, RuntimeError):
    """A source could not open or stopped; the message names the source and what went wrong."""


class MissingDependencyError(SourceError, ImportError):
    """An optional dependency is missing; the message names the extra to install."""

    def __init__(self, what: str, extra: str, module: str) -> None:
        super().__init__(
            f"{what} needs the Python module {module!r}; install it with "
            f"`pip install 'skelapp[{extra}]'`"
        )


@runtime_checkable
class SkeletonSource(Protocol):
    name: str  # human-readable, e.g. "replay:S001C001P001R001A001.skeleton"
    nominal_fps: float
    layout: JointLayout
    mirrored: bool  # True if the source's images/skeletons are mirror images of the scene

    def open(self) -> None: ...

    def frames(self) -> Iterator[SkeletonFrame]: ...

    def close(self) -> None: ...

    def __enter__(self) -> SkeletonSource: ...

    def __exit__(self, *exc) -> None: ...


class SourceBase:
    """Convenience base: context manager + idempotent close + stop flag."""

    name = "source"
    nominal_fps = 30.0
    mirrored = False

    def __init__(self) -> None:
        self._stopped = False
        self.dropped_frames = 0

    def open(self) -> None:  # pragma: no cover - overridden when there is work to do
        pass

    def close(self) -> None:
        self._stopped = True

    @property
    def stopped(self) -> bool:
        return self._stopped

    def __enter__(self):
        self.open()
        return self

    def __exit__(self, *exc) -> None:
        self.close()
