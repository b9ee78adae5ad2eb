"""Test clips that are exact copies of training clips.

A copy scores as a memorised training clip, not as a new recording, so evaluation reports the
score without them next to the protocol's own. Found in the NW-UCLA release (CTR-GCN's
``all_sqe``): 95 of view 3's 464 test clips (every "pick up with two hands" and "drop trash" clip of
view 3) are byte-for-byte the view-2 training clips of the same subject and episode.
"""

from __future__ import annotations

import hashlib

import numpy as np

from .datasets import ClipSet


def clip_fingerprint(joints: np.ndarray) -> str:
    """Digest of a clip's joints (shape and float32 values): equal only for identical clips."""
    arr = np.ascontiguousarray(joints, dtype=np.float32)
    return hashlib.sha1(repr(arr.shape).encode() + arr.tobytes()).hexdigest()


def training_copies(clips: ClipSet, reference: np.ndarray, evaluated: np.ndarray) -> np.ndarray:
    """Boolean mask over *evaluated*: True where that clip's joints equal a *reference* clip's."""
    seen = {clip_fingerprint(clips.joints[i]) for i in reference}
    return np.array([clip_fingerprint(clips.joints[i]) in seen for i in evaluated], bool)
