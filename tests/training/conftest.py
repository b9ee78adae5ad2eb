"""Small synthetic NW-UCLA- and MSR Action3D-style datasets (always available) for fast training tests."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from skelapp.core.layouts import CANONICAL, MSR_ACTION3D
from skelapp.training.datasets import NW_UCLA_ACTIONS


def synthetic_pose(rng: np.random.Generator, label: int, frames: int) -> np.ndarray:
    """A standing body whose right hand moves in a class-dependent pattern, in camera space."""
    base = np.zeros((20, 3))
    for name, xyz in {
        "hip_center": (0, 0, 0), "spine": (0, 0.2, 0), "shoulder_center": (0, 0.45, 0), "head": (0, 0.65, 0),
        "shoulder_left": (-0.18, 0.42, 0), "elbow_left": (-0.25, 0.15, 0), "wrist_left": (-0.28, -0.08, 0),
        "hand_left": (-0.29, -0.15, 0), "shoulder_right": (0.18, 0.42, 0), "elbow_right": (0.25, 0.15, 0),
        "wrist_right": (0.28, -0.08, 0), "hand_right": (0.29, -0.15, 0), "hip_left": (-0.1, -0.05, 0),
        "knee_left": (-0.1, -0.45, 0), "ankle_left": (-0.1, -0.85, 0), "foot_left": (-0.1, -0.9, -0.1),
        "hip_right": (0.1, -0.05, 0), "knee_right": (0.1, -0.45, 0), "ankle_right": (0.1, -0.85, 0),
        "foot_right": (0.1, -0.9, -0.1),
    }.items():
        base[CANONICAL.index(name)] = xyz
    t = np.linspace(0, 1, frames)[:, None]
    seq = np.repeat(base[None], frames, 0) + np.array([0, 0, 2.5])
    hand = [CANONICAL.index(n) for n in ("wrist_right", "hand_right")]
    direction = np.array([np.cos(label), np.sin(label), 0.3 * np.cos(2 * label)])
    seq[:, hand] += (0.4 * np.sin(np.pi * t) * direction)[:, None]
    return (seq + rng.normal(0, 0.005, seq.shape)).astype(np.float32)


@pytest.fixture(autouse=True)
def cpu_without_bf16(monkeypatch) -> None:
    """``--precision auto`` resolves to fp32 in every training test, whatever the CPU: on AVX-512
    BF16 / AMX CPUs it would pick bf16, and the tiny runs' thresholds would then depend on the
    machine (tests of the resolution itself patch these probes again)."""
    import torch

    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False, raising=False)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False, raising=False)


@pytest.fixture(scope="session")
def tiny_ucla(tmp_path_factory) -> Path:
    """NW-UCLA-format JSON files: 10 classes x 2 subjects x 2 episodes x 3 views."""
    root = tmp_path_factory.mktemp("ucla") / "all_sqe"
    root.mkdir()
    rng = np.random.default_rng(0)
    for a in range(10):
        for s in (1, 2):
            for e in (1, 2):
                for v in (1, 2, 3):
                    name = f"a{NW_UCLA_ACTIONS[a]:02d}_s{s:02d}_e{e:02d}_v{v:02d}"
                    pose = synthetic_pose(rng, a, int(rng.integers(12, 30)))
                    (root / f"{name}.json").write_text(
                        json.dumps({"file_name": name, "skeletons": pose.tolist(), "label": a + 1})
                    )
    return root.parent


@pytest.fixture(scope="session")
def make_pose():
    """:func:`synthetic_pose` for tests that build their own clips."""
    return synthetic_pose


@pytest.fixture(scope="session")
def tiny_msr(tmp_path_factory) -> Path:
    """MSR Action3D-format text files (MSR's joint order): 20 actions x subjects 1-4, one episode."""
    root = tmp_path_factory.mktemp("msr")
    d = root / "msr_action3d" / "real_world_coordinates"
    d.mkdir(parents=True)
    rng = np.random.default_rng(1)
    order = [CANONICAL.index("shoulder_center" if n == "neck" else n) for n in MSR_ACTION3D.joint_names]
    for a in range(1, 21):
        for s in range(1, 5):
            pose = synthetic_pose(rng, a - 1, int(rng.integers(12, 30)))[:, order]
            rows = np.concatenate([pose.reshape(-1, 3), np.ones((pose.shape[0] * 20, 1))], axis=1)
            np.savetxt(d / f"a{a:02d}_s{s:02d}_e01_skeleton3D.txt", rows, fmt="%.5f")
    return root


@pytest.fixture(scope="session")
def tiny_data(tiny_ucla, tiny_msr, tmp_path_factory) -> Path:
    """One data root holding both synthetic sets (``nw_ucla/``, ``msr_action3d/``), laid out like
    ../shared/data, for co-training."""
    root = tmp_path_factory.mktemp("data")
    (root / "nw_ucla").symlink_to(tiny_ucla)
    (root / "msr_action3d").symlink_to(tiny_msr / "msr_action3d")
    return root
