"""Small ONNX models for tests that follow the skelapp streaming contract.

Prefers the training helper's ``skelapp.training.export.make_test_model`` (the real
architecture with random weights); falls back to a two-layer GRU built with ``onnx.helper``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from skelapp.core.normalize import FeatureConfig


def make_model(path: Path, num_classes: int = 5, prefer_training: bool = True) -> Path:
    path = Path(path)
    if prefer_training:
        try:
            from skelapp.training.export import make_test_model
        except ImportError:
            pass
        else:
            make_test_model(path, num_classes)
            return path
    return make_gru_model(path, num_classes)


def make_gru_model(
    path: Path,
    num_classes: int = 5,
    hidden: tuple[int, int] = (16, 8),
    config: FeatureConfig | None = None,
    layout: str = "canonical20",
    seed: int = 0,
    fixed_batch: bool = False,
    labels: list[str] | None = None,
) -> Path:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    cfg = config or FeatureConfig()
    c = cfg.channels
    f = 20 * c
    rng = np.random.default_rng(seed)
    h1, h2 = hidden
    inits = [
        numpy_helper.from_array(np.array([0, 0, -1], np.int64), "shape3"),
        numpy_helper.from_array(np.array([0], np.int64), "ax0"),
        numpy_helper.from_array(np.array([1], np.int64), "ax1"),
    ]

    def w(name, *shape, scale=0.3):
        inits.append(numpy_helper.from_array((rng.standard_normal(shape) * scale).astype(np.float32), name))
        return name

    nodes = [
        helper.make_node("Reshape", ["x", "shape3"], ["xf"]),
        helper.make_node("Transpose", ["xf"], ["xt"], perm=[1, 0, 2]),
    ]
    prev, prev_dim = "xt", f
    for i, h in enumerate((h1, h2)):
        nodes += [
            helper.make_node("Unsqueeze", [f"state_{i}", "ax0"], [f"h0_{i}"]),
            helper.make_node(
                "GRU",
                [prev, w(f"W{i}", 1, 3 * h, prev_dim, scale=0.1), w(f"R{i}", 1, 3 * h, h),
                 w(f"B{i}", 1, 6 * h), "", f"h0_{i}"],
                [f"Y{i}", f"Yh{i}"],
                hidden_size=h,
            ),
            helper.make_node("Squeeze", [f"Y{i}", "ax1"], [f"Ys{i}"]),
            helper.make_node("Squeeze", [f"Yh{i}", "ax0"], [f"state_out_{i}"]),
        ]
        prev, prev_dim = f"Ys{i}", h
    nodes += [
        helper.make_node("Transpose", [prev], ["yb"], perm=[1, 0, 2]),
        helper.make_node("MatMul", ["yb", w("Wout", h2, num_classes, scale=2.0)], ["lm"]),
        helper.make_node("Add", ["lm", w("bout", num_classes)], ["logits"]),
    ]
    b = 1 if fixed_batch else "B"
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [b, "T", 20, c])]
    f32 = TensorProto.FLOAT
    inputs += [helper.make_tensor_value_info(f"state_{i}", f32, [b, h]) for i, h in enumerate(hidden)]
    outputs = [helper.make_tensor_value_info("logits", f32, [b, "T", num_classes])]
    outputs += [helper.make_tensor_value_info(f"state_out_{i}", f32, [b, h]) for i, h in enumerate(hidden)]
    graph = helper.make_graph(nodes, "skelapp_test_gru", inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    labels = labels or [f"action {i}" for i in range(num_classes)]
    for k, v in {
        "skelapp.labels": json.dumps(labels),
        "skelapp.feature_config": json.dumps(cfg.to_dict()),
        "skelapp.layout": layout,
        "skelapp.state_shapes": json.dumps([[h] for h in hidden]),
    }.items():
        model.metadata_props.add(key=k, value=v)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


_CACHE: dict[int, Path] = {}


def cached_model(num_classes: int = 10) -> Path:
    """A test model built once per test process (training helper's model when available)."""
    if num_classes not in _CACHE:
        import tempfile

        d = Path(tempfile.mkdtemp(prefix="skelapp-test-model-"))
        _CACHE[num_classes] = make_model(d / f"test_{num_classes}.onnx", num_classes)
    return _CACHE[num_classes]
