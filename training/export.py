"""Export a :class:`CausalSTGCN` to one ONNX file (offline and streaming use) with metadata.

Contract (see ``runs/CONTRACT_READY.txt`` / the model card):

* inputs ``x`` ``[B, T, 20, C]`` float32 (features from ``compute_features``) and
  ``state_0 .. state_{n-1}`` float32 ``[B, *shape_i]`` (zeros = fresh stream);
* outputs ``logits`` ``[B, T, K]`` and ``state_out_0 .. state_out_{n-1}`` (feed back as states);
* metadata ``skelapp.*`` (labels, feature config, layout, state shapes, ...).
"""

from __future__ import annotations

import io
import json
import warnings
from pathlib import Path

import numpy as np
import torch

from skelapp.core.normalize import FeatureConfig
from skelapp.core.recognizer import StreamingRecognizer

from .model import (
    CausalSTGCN,
    EnsembleSTGCN,
    ModelConfig,
    count_parameters,
    receptive_field,
    stream_models,
    streaming_macs,
)

LAYOUT_NAME = "canonical20"


def export_onnx(
    model: CausalSTGCN | EnsembleSTGCN,
    path: str | Path,
    labels: list[str],
    feature_config: FeatureConfig,
    dataset: str = "",
    check_clips: list[np.ndarray] | None = None,
    extra_metadata: dict[str, str] | None = None,
    opset: int = 17,
) -> float:
    """Write *model* to *path*; return the max abs logit difference ORT vs torch.

    The difference is measured on *check_clips* (feature arrays ``(T, V, C)``) when given,
    else on a random clip, both offline (whole clip) and streaming (one frame at a time).
    """
    import onnx

    if len(labels) != model.config.num_classes:
        raise ValueError(f"{len(labels)} labels for a model with {model.config.num_classes} classes")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    model = model.eval().cpu()
    n = len(model.state_shapes())
    x = torch.zeros(1, 8, model.config.num_joints, model.config.in_channels)
    states = model.initial_states(1)
    in_names = ["x"] + [f"state_{i}" for i in range(n)]
    out_names = ["logits"] + [f"state_out_{i}" for i in range(n)]
    axes = {"x": {0: "batch", 1: "time"}, "logits": {0: "batch", 1: "time"}}
    axes.update({nm: {0: "batch"} for nm in in_names[1:] + out_names[1:]})
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model, (x, *states), buf, input_names=in_names, output_names=out_names,
            dynamic_axes=axes, opset_version=opset, dynamo=False,
        )
    proto = onnx.load_model_from_string(buf.getvalue())
    streams = stream_models(model)
    meta = {
        "skelapp.labels": json.dumps(list(labels)),
        "skelapp.feature_config": json.dumps(feature_config.to_dict()),
        "skelapp.layout": LAYOUT_NAME,
        "skelapp.state_shapes": json.dumps([list(s) for s in model.state_shapes()]),
        "skelapp.min_frames": "1",
        "skelapp.dataset": dataset,
        "skelapp.model_config": json.dumps({"members": [m.config.to_dict() for m in streams]}
                                           if len(streams) > 1 else model.config.to_dict()),
        "skelapp.streams": json.dumps([m.config.stream for m in streams]),
        "skelapp.mirror_averaged": json.dumps(bool(getattr(model, "mirror", False))),
        "skelapp.params": str(count_parameters(model)),
        "skelapp.streaming_macs": str(streaming_macs(model)),
        "skelapp.window_frames": str(model.config.window),
        "skelapp.receptive_field_frames": str(receptive_field(model)),
        **(extra_metadata or {}),
    }
    del proto.metadata_props[:]
    for k, v in meta.items():
        proto.metadata_props.add(key=k, value=v)
    proto.producer_name = "skelapp"
    onnx.checker.check_model(proto)
    # check ONNX Runtime against torch on a side file, so that *path* only ever holds a checked model
    # that records its check (the model card written by `evaluate` reports it)
    unchecked = path.with_name(path.name + ".unchecked")
    onnx.save(proto, str(unchecked))
    try:
        clips = check_clips or [np.random.default_rng(0).normal(size=(40, 20, 6)).astype(np.float32)]
        diff = max(onnx_torch_max_diff(model, unchecked, c) for c in clips)
    finally:
        unchecked.unlink()
    where = f"{len(check_clips)} real clips" if check_clips else "a random clip"
    proto.metadata_props.add(key="skelapp.ort_vs_torch_max_abs_diff", value=f"{diff:.2g}")
    proto.metadata_props.add(key="skelapp.ort_vs_torch_checked_on",
                             value=f"{where}, whole clip and one frame at a time")
    onnx.save(proto, str(path))
    return diff


def onnx_torch_max_diff(model: CausalSTGCN | EnsembleSTGCN, path: str | Path, clip: np.ndarray) -> float:
    """Max abs logit difference between torch (offline) and ORT through the app's
    :class:`StreamingRecognizer` (whole clip, and one frame at a time with carried state)."""
    rec = StreamingRecognizer(path, prefer_gpu=False)
    with torch.no_grad():
        ref = model.eval().forward_offline(torch.from_numpy(clip[None].astype(np.float32)))[0][0].numpy()
    off = rec.run_offline(clip)
    stream = np.stack([rec.step({0: frame})[0] for frame in clip])
    return float(max(np.abs(off - ref).max(), np.abs(stream - ref).max()))


def read_metadata(path: str | Path) -> dict[str, str]:
    """The ``metadata_props`` of an ONNX file, via ONNX Runtime."""
    import onnxruntime as ort

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return dict(sess.get_modelmeta().custom_metadata_map)


def make_test_model(
    path: str | Path,
    num_classes: int = 10,
    labels: list[str] | None = None,
    feature_config: FeatureConfig | None = None,
    seed: int = 0,
    small: bool = True,
) -> Path:
    """Export a random-initialised model (for other modules' tests); returns *path*."""
    torch.manual_seed(seed)
    cfg = ModelConfig(num_classes=num_classes)
    if small:
        cfg = ModelConfig(num_classes=num_classes, channels=(16, 16, 32), dilations=(1, 2, 4), window=16)
    fc = feature_config or FeatureConfig()
    cfg.in_channels = fc.channels
    model = CausalSTGCN(cfg).eval()
    labels = labels or [f"class_{i}" for i in range(num_classes)]
    export_onnx(model, path, labels, fc, dataset="random-test-model")
    return Path(path)
