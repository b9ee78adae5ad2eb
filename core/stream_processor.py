"""The per-track recognition chain, without threads.

Capture side (:func:`prepare_frame`): frame -> canonical layout -> body tracking.
Recognition side (:class:`StreamProcessor`): per track, resample to the model's fps ->
:class:`StreamingFeaturizer` -> the track's :class:`RingBuffer` of model-input frames -> one
batched :class:`StreamingRecognizer` step -> smoothing -> one :class:`PredictionUpdate` per
resampled frame per body. :meth:`StreamProcessor.history` returns the newest model-input frames
of a track (zero-copy), e.g. to enrol a recorded example or to re-run a window for comparison.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .conversion import frame_to_canonical
from .layouts import CANONICAL
from .normalize import StreamingFeaturizer
from .prediction import ClassScore, PredictionUpdate
from .recognizer import StreamingRecognizer, softmax
from .resample import StreamResampler
from .ring_buffer import RingBuffer
from .skeleton import SkeletonFrame
from .smoothing import MotionMeter, PredictionSmoother, SmoothingConfig
from .tracking import BodyTracker


@dataclass
class TrackedFrame:
    """A source frame in canonical layout with a track id per body (-1 = absent)."""

    frame: SkeletonFrame
    track_ids: list[int]
    ended: list[int] = field(default_factory=list)
    arrival: float = 0.0  # time.perf_counter() when the frame arrived


def prepare_frame(frame: SkeletonFrame, tracker: BodyTracker, arrival: float | None = None) -> TrackedFrame:
    canon = frame_to_canonical(frame)
    a = tracker.update(canon)
    return TrackedFrame(canon, a.track_ids, a.ended, time.perf_counter() if arrival is None else arrival)


@dataclass
class _Track:
    resampler: StreamResampler
    featurizer: StreamingFeaturizer
    motion: MotionMeter
    smoother: PredictionSmoother
    history: RingBuffer  # model-input feature frames (V, C), newest last


class StreamProcessor:
    def __init__(
        self,
        recognizer: StreamingRecognizer,
        smoothing: SmoothingConfig | None = None,
        top_k: int = 3,
        history_seconds: float = 10.0,
    ) -> None:
        self.recognizer = recognizer
        self.smoothing = smoothing or SmoothingConfig()
        self.top_k = top_k
        self.history_frames = max(1, round(history_seconds * recognizer.feature_config.fps))
        self._tracks: dict[int, _Track] = {}

    def _track(self, tid: int) -> _Track:
        tr = self._tracks.get(tid)
        if tr is None:
            rec = self.recognizer
            fps = rec.feature_config.fps
            tr = self._tracks[tid] = _Track(
                StreamResampler(fps),
                StreamingFeaturizer(rec.feature_config),
                MotionMeter(fps, self.smoothing.motion_alpha),
                PredictionSmoother(rec.labels, fps, self.smoothing, rec.info.typical_durations),
                RingBuffer(self.history_frames, (CANONICAL.num_joints, rec.feature_config.channels)),
            )
            rec.reset(tid)
        return tr

    def end_track(self, tid: int) -> None:
        self._tracks.pop(tid, None)
        self.recognizer.drop(tid)

    def history(self, tid: int, n: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The newest *n* (default: all held) model-input frames ``(n, V, C)`` of track *tid* and
        their times, oldest first. A zero-copy view: copy it to keep it past further frames."""
        tr = self._tracks.get(tid)
        if tr is None:
            raise KeyError(f"no active track {tid}")
        return tr.history.last(n)

    @property
    def tracks(self) -> list[int]:
        return list(self._tracks)

    def process(self, tf: TrackedFrame) -> list[PredictionUpdate]:
        for tid in tf.ended:
            self.end_track(tid)
        f = tf.frame
        samples: dict[int, list] = {}
        for k, tid in enumerate(tf.track_ids):
            if tid >= 0:
                samples[tid] = self._track(tid).resampler.push(f.timestamp, f.joints[k], f.confidence[k])
        updates: list[PredictionUpdate] = []
        for r in range(max((len(s) for s in samples.values()), default=0)):
            feats, info = {}, {}
            for tid, s in samples.items():
                if len(s) > r:
                    g, j, c = s[r]
                    tr = self._tracks[tid]
                    feats[tid] = tr.featurizer.push(j, c)[0]
                    tr.history.push(feats[tid], g)
                    info[tid] = (g, tr.motion.push(j, c))
            logits = self.recognizer.step(feats)
            for tid, lg in logits.items():
                g, motion = info[tid]
                st = self._tracks[tid].smoother.update(g, softmax(lg.astype(np.float64)), motion)
                if st.reset_model:
                    self.recognizer.reset(tid)
                updates.append(self._update(tf, tid, g, st))
        return updates

    def _update(self, tf: TrackedFrame, tid: int, t: float, st) -> PredictionUpdate:
        p = st.probabilities
        order = np.argsort(-p)[: self.top_k]
        labels = self.recognizer.labels
        return PredictionUpdate(
            time=float(t),
            frame_index=tf.frame.index,
            body_id=tid,
            top=[ClassScore(int(i), labels[i], float(p[i])) for i in order],
            label=st.label,
            committed=st.committed,
            observed=st.observed,
            probabilities=[float(x) for x in p],
            segment_id=st.segment_id,
            latency_ms=(time.perf_counter() - tf.arrival) * 1000.0,
        )
