"""Causal model: streaming (T=1 with states) equals offline, in torch and ONNX Runtime."""

from __future__ import annotations

import json

import numpy as np
import onnx
import pytest
import torch
from torch.nn import functional as F

from skelapp.core.layouts import CANONICAL
from skelapp.core.normalize import FeatureConfig, mirror_features
from skelapp.core.recognizer import StreamingRecognizer
from skelapp.training.export import export_onnx, make_test_model, read_metadata
from skelapp.training.graph import BODY_PARTS, lateral_part_sides, part_joint_indices
from skelapp.training.layers import GraphConv, PointwiseConv
from skelapp.training.model import CausalSTGCN, EnsembleSTGCN, ModelConfig, receptive_field, streaming_macs
from skelapp.training.window_pool import CausalWindowPool


def _random_model(seed: int = 0, **kw) -> CausalSTGCN:
    torch.manual_seed(seed)
    m = CausalSTGCN(ModelConfig(**kw)).eval()
    for mod in m.modules():  # non-trivial BatchNorm statistics and learned adjacency offsets
        if isinstance(mod, torch.nn.BatchNorm1d | torch.nn.BatchNorm2d):
            mod.running_mean.normal_()
            mod.running_var.uniform_(0.5, 2.0)
        if isinstance(mod, GraphConv):
            mod.offset.data.normal_(0, 0.1)
        if isinstance(mod, CausalSTGCN) and mod.joint_embed is not None:
            mod.joint_embed.data.normal_(0, 0.5)
        if isinstance(mod, CausalWindowPool) and mod.gate is not None:  # frames weighted unequally
            mod.gate.weight.data.normal_(0, 8.0 / mod.gate.in_channels**0.5)
            mod.gate.bias.data.normal_(0, 1.0)
    return m


VARIANTS = [
    {"stream": "joint"}, {"stream": "joint_bone"}, {"graph_groups": 8}, {"window_pool": "meanmax"},
    {"window_pool": "gated"}, {"tcn": "multiscale"}, {"dynamic_graph": 4}, {"drop_joints": 0.2},
    {"readout": "parts"}, {"readout": "parts", "window_pool": "gated"}, {"readout": "joints_meanmax"},
    {"graph_hops": 3}, {"joint_embedding": True}, {"drop_path": 0.3}, {"readout": "parts_lateral"},
    {"readout": "parts", "window_pool": "mean_recent"},
]


@pytest.mark.parametrize("kw", VARIANTS)
def test_torch_streaming_equals_offline(kw) -> None:
    m = _random_model(window=16, **kw)
    x = torch.randn(2, 40, 20, 6)
    with torch.no_grad():
        ref, _ = m.forward_offline(x)
        states = m.initial_states(2)
        outs = []
        for t in range(x.shape[1]):
            o, *states = m(x[:, t : t + 1], *states)
            outs.append(o)
        # chunks of several frames give the same result too
        states = m.initial_states(2)
        chunks = []
        for a, b in ((0, 7), (7, 8), (8, 40)):
            o, *states = m(x[:, a:b], *states)
            chunks.append(o)
    assert ref.shape == (2, 40, 10)
    assert torch.allclose(torch.cat(outs, 1), ref, atol=1e-4)
    assert torch.allclose(torch.cat(chunks, 1), ref, atol=1e-4)


def test_keep_classes_drops_the_classifier_rows_after_the_first_k() -> None:
    m = _random_model(window=16, num_classes=30)
    x = torch.randn(2, 25, 20, 6)
    with torch.no_grad():
        full, _ = m.forward_offline(x)
        m.keep_classes(10)
        kept, _ = m.forward_offline(x)
        states, steps = m.initial_states(2), []
        for t in range(x.shape[1]):  # streaming still equals offline
            o, *states = m(x[:, t : t + 1], *states)
            steps.append(o)
    assert m.config.num_classes == 10 and kept.shape == (2, 25, 10)
    assert torch.allclose(kept, full[..., :10], atol=1e-6)  # the same rows (up to matmul rounding)
    assert torch.allclose(torch.cat(steps, 1), kept, atol=1e-4)
    with pytest.raises(ValueError, match="cannot keep 11 of 10"):
        m.keep_classes(11)


def test_causal_prefix_independent_of_future() -> None:
    m = _random_model(1)
    x = torch.randn(1, 30, 20, 6)
    y = x.clone()
    y[:, 20:] = 5.0
    with torch.no_grad():
        assert torch.allclose(m.forward_offline(x)[0][:, :20], m.forward_offline(y)[0][:, :20], atol=1e-5)


@pytest.mark.parametrize(("tcn", "frames"), [("single", 1 + 4 * 14), ("multiscale", 1 + 4 * 28)])
def test_receptive_field_is_exact(tcn, frames) -> None:
    """A change at frame 0 reaches the last block's map up to frame ``receptive_field - 1``
    and no further (kernel 5, dilations 1-1-2-2-4-4; the multi-scale conv's widest branch
    has twice each block's dilation)."""
    m = _random_model(4, tcn=tcn)
    assert receptive_field(m) == frames
    x = torch.randn(1, frames + 10, 20, 6)
    y = x.clone()
    y[:, 0] += 3.0
    with torch.no_grad():
        diff = (m.forward_offline(x)[1] - m.forward_offline(y)[1]).abs().amax(dim=(0, 1, 3))
    assert diff[frames - 1] > 0  # exactly 0 where the change cannot reach (next line)
    assert diff[frames:].max() == 0


def test_multiscale_temporal_conv_is_cheaper_per_frame() -> None:
    single, multi = _random_model(tcn="single"), _random_model(tcn="multiscale")
    assert streaming_macs(multi) < 0.6 * streaming_macs(single)
    assert sum(p.numel() for p in multi.parameters()) < 0.6 * sum(p.numel() for p in single.parameters())
    with pytest.raises(ValueError, match="unknown tcn"):
        CausalSTGCN(ModelConfig(tcn="wavelet"))


@pytest.mark.parametrize("kw", VARIANTS)
def test_onnx_matches_torch(tmp_path, kw) -> None:
    m = _random_model(2, **kw)
    labels = [f"c{i}" for i in range(10)]
    path = tmp_path / "m.onnx"
    diff = export_onnx(m, path, labels, FeatureConfig(), dataset="unit")
    assert diff < 1e-4
    meta = read_metadata(path)
    assert json.loads(meta["skelapp.labels"]) == labels
    assert meta["skelapp.layout"] == "canonical20"
    assert meta["skelapp.min_frames"] == "1"
    assert FeatureConfig.from_dict(json.loads(meta["skelapp.feature_config"])) == FeatureConfig()
    shapes = json.loads(meta["skelapp.state_shapes"])
    assert shapes == [list(s) for s in m.state_shapes()]

    # every convolution, the 1x1 PointwiseConvs included, is exported as one (ORT streams it faster)
    ops = [node.op_type for node in onnx.load(str(path)).graph.node]
    assert ops.count("Conv") == sum(isinstance(mod, torch.nn.Conv1d | torch.nn.Conv2d) for mod in m.modules())

    rec = StreamingRecognizer(path, prefer_gpu=False)
    clip = np.random.default_rng(3).normal(size=(70, 20, 6)).astype(np.float32)
    off = rec.run_offline(clip)
    stream = np.stack([rec.step({0: frame})[0] for frame in clip])
    assert off.shape == (70, 10)
    assert np.abs(off - stream).max() < 1e-4


def test_a_failed_runtime_check_leaves_no_model_behind(tmp_path, monkeypatch) -> None:
    """The model file appears only after ONNX Runtime was checked against torch (and says so)."""
    from skelapp.training import export

    def broken_runtime(*args) -> float:
        raise RuntimeError("onnxruntime failed")

    path = tmp_path / "m.onnx"
    monkeypatch.setattr(export, "onnx_torch_max_diff", broken_runtime)
    with pytest.raises(RuntimeError, match="onnxruntime failed"):
        export_onnx(_random_model(), path, [f"c{i}" for i in range(10)], FeatureConfig())
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    export_onnx(_random_model(), path, [f"c{i}" for i in range(10)], FeatureConfig())
    assert list(tmp_path.iterdir()) == [path]
    assert "random clip" in read_metadata(path)["skelapp.ort_vs_torch_checked_on"]


def test_make_test_model(tmp_path) -> None:
    path = make_test_model(tmp_path / "t.onnx", num_classes=4)
    meta = read_metadata(path)
    assert len(json.loads(meta["skelapp.labels"])) == 4


def test_label_count_mismatch(tmp_path) -> None:
    with pytest.raises(ValueError, match="labels"):
        export_onnx(_random_model(), tmp_path / "x.onnx", ["a"], FeatureConfig())


def test_bone_stream_is_the_joint_network_on_bone_vectors() -> None:
    """stream="bone" = the same weights fed (joint - parent joint) for positions and velocities."""
    bone = _random_model(4, window=16, stream="bone")
    joint = CausalSTGCN(ModelConfig(window=16)).eval()
    joint.load_state_dict(bone.state_dict())
    x = torch.randn(2, 25, 20, 6)
    parents = torch.from_numpy(CANONICAL.parents)
    bones = x - x[:, :, parents]
    assert torch.all(bones[:, :, CANONICAL.index("hip_center")] == 0)
    with torch.no_grad():
        assert torch.allclose(bone.forward_offline(x)[0], joint.forward_offline(bones)[0], atol=1e-5)
        assert not torch.allclose(bone.forward_offline(x)[0], joint.forward_offline(x)[0], atol=1e-3)
    with pytest.raises(ValueError, match="stream"):
        CausalSTGCN(ModelConfig(stream="motion"))


def test_joint_bone_stream_reads_joints_and_bones_side_by_side() -> None:
    """stream="joint_bone" = a 12-channel joint network fed [features, bone features] per joint;
    it takes the app's usual 6-channel input."""
    fused = _random_model(9, window=16, stream="joint_bone")
    wide = CausalSTGCN(ModelConfig(window=16, in_channels=12)).eval()
    wide.load_state_dict(fused.state_dict())
    assert fused.config.in_channels == 6 and fused.data_bn.num_features == 12 * 20
    x = torch.randn(2, 25, 20, 6)
    bones = x - x[:, :, torch.from_numpy(CANONICAL.parents)]
    with torch.no_grad():
        out = fused.forward_offline(x)[0]
        assert torch.allclose(out, wide.forward_offline(torch.cat([x, bones], dim=3))[0], atol=1e-5)
        for half in (torch.cat([x, 0 * bones], dim=3), torch.cat([0 * x, bones], dim=3)):
            assert not torch.allclose(out, wide.forward_offline(half)[0], atol=1e-3)  # both halves are read


def test_graph_groups_give_each_channel_group_its_own_adjacency() -> None:
    """graph_groups=8: gcd(cin, 8) offsets per block; equal offsets = the one-offset network."""
    grouped = _random_model(11, window=16, graph_groups=8)
    assert [b.gcn.groups for b in grouped.blocks] == [2, 8, 8, 8, 8, 8]  # 6 input channels first
    shared = _random_model(12, window=16)
    state = shared.state_dict()
    for i, b in enumerate(grouped.blocks):  # every group gets block i's shared offset
        state[f"blocks.{i}.gcn.offset"] = state[f"blocks.{i}.gcn.offset"][:, None].expand_as(b.gcn.offset)
    grouped.load_state_dict(state)
    x = torch.randn(2, 20, 20, 6)
    with torch.no_grad():
        ref = shared.forward_offline(x)[0]
        assert torch.allclose(grouped.forward_offline(x)[0], ref, atol=1e-5)
        grouped.blocks[2].gcn.offset[:, 3] += 0.5  # one group of one block reads the joints differently
        assert not torch.allclose(grouped.forward_offline(x)[0], ref, atol=1e-3)
    # configs saved before the option existed load as one shared offset
    old = {k: v for k, v in shared.config.to_dict().items() if k != "graph_groups"}
    assert ModelConfig.from_dict(old).graph_groups == 1


def test_graph_hops_give_every_block_a_partition_per_bone_distance() -> None:
    """graph_hops=3: every block mixes joints over five partitions (test_graph.py checks them),
    at a higher streaming cost; configs saved before the option load as ST-GCN's three."""
    m = _random_model(14, window=16, graph_hops=3)
    assert all(b.gcn.k == 5 and b.gcn.offset.shape[0] == 5 for b in m.blocks)
    assert streaming_macs(m) > streaming_macs(_random_model(14, window=16))
    with pytest.raises(ValueError, match="graph_hops"):
        CausalSTGCN(ModelConfig(graph_hops=0))
    old = {k: v for k, v in m.config.to_dict().items() if k != "graph_hops"}  # saved before the option
    assert ModelConfig.from_dict(old).graph_hops == 1


def test_joint_embedding_starts_as_the_plain_model_and_learns_per_joint() -> None:
    """joint_embedding: a learned (C, V) term after the first block, zero at initialisation (the
    same logits as without it), trained by backprop, and it tells two joints with the same input
    apart; configs saved before the option load without it."""
    torch.manual_seed(3)
    plain = CausalSTGCN(ModelConfig(window=16)).eval()
    torch.manual_seed(3)
    emb = CausalSTGCN(ModelConfig(window=16, joint_embedding=True)).eval()
    assert emb.joint_embed.shape == (1, 32, 1, 20)
    x = torch.randn(2, 12, 20, 6)
    with torch.no_grad():
        assert torch.equal(plain.forward_offline(x)[0], emb.forward_offline(x)[0])
    emb.train()
    logits, _ = emb.forward_offline(x)
    logits.square().mean().backward()
    assert emb.joint_embed.grad is not None and emb.joint_embed.grad.abs().amax() > 0
    emb.eval()
    with torch.no_grad():
        before = emb.features(x, emb.initial_states(2))[0]
        emb.joint_embed[0, :, 0, 5] += 1.0  # joint 5 only
        after = emb.features(x, emb.initial_states(2))[0]
    changed = (after - before).abs().amax(dim=(0, 1, 2))
    assert changed[5] > 0 and changed[CANONICAL.parents[5]] > 0  # joint 5 and, through the graph, its parent
    old = {k: v for k, v in emb.config.to_dict().items() if k != "joint_embedding"}
    assert ModelConfig.from_dict(old).joint_embedding is False


def test_a_non_causal_model_reads_later_frames_offline_and_refuses_to_stream() -> None:
    """causal false (a research baseline): a change at frame 40 moves the offline logits of the
    frames just before it and of none outside its reach (28 frames before it, half the temporal
    context, to 28 after it plus the 16-frame window); the causal model with the same weights moves
    none before frame 40. There is no streaming form."""
    causal = _random_model(5, window=16)
    ahead = _random_model(5, window=16, causal=False)
    assert ahead.state_dict().keys() == causal.state_dict().keys()
    assert sum(b.tcn.context // 2 for b in ahead.blocks) == 28
    x = torch.randn(1, 100, 20, 6)
    x2 = x.clone()
    x2[:, 40] += 1.0
    with torch.no_grad():
        moved = {name: (m.forward_offline(x2)[0] - m.forward_offline(x)[0]).abs().amax(dim=(0, 2))
                 for name, m in (("causal", causal), ("ahead", ahead))}
    assert moved["causal"][:40].amax() == 0 and moved["causal"][40] > 0
    assert moved["ahead"][32:40].amin() > 1e-4  # the frames just before the change see it
    # none before frame 12; after frame 83 only float rounding carried by the window's running sum
    assert moved["ahead"][:12].amax() == 0 and moved["ahead"][84:].amax() < 1e-5
    with pytest.raises(ValueError, match="no streaming form"):
        ahead(x[:, :1], *ahead.initial_states(1))
    with pytest.raises(ValueError, match="tcn 'single'"):
        CausalSTGCN(ModelConfig(causal=False, tcn="multiscale"))
    assert ModelConfig.from_dict({"window": 16}).causal is True  # configs saved before the option


def test_dynamic_graph_mixes_joints_by_each_frames_own_pose() -> None:
    """dynamic_graph=4: gcd(cin, 4) heads per block; each frame's extra partition depends on that
    frame only (a later frame's change leaves earlier frames' mixing alone), and a zero key
    projection gives every joint the mean of all joints (a uniform softmax)."""
    m = _random_model(13, window=16, dynamic_graph=4)
    assert [b.gcn.heads for b in m.blocks] == [2, 4, 4, 4, 4, 4]
    gcn = m.blocks[1].gcn.eval()
    x = torch.randn(2, 32, 5, 20)
    with torch.no_grad():
        ref = gcn(x)
        y = x.clone()
        y[:, :, 3] += 1.0
        changed = (gcn(y) - ref).abs().amax(dim=(0, 1, 3))
        assert torch.all(changed[[0, 1, 2, 4]] < 1e-5) and changed[3] > 1e-2
        gcn.key.weight.zero_()
        gcn.key.bias.zero_()
        z = torch.einsum("bctv,kvw->bkctw", x, gcn.A + gcn.offset).reshape(2, 3 * 32, 5, 20)
        uniform = x.mean(dim=3, keepdim=True).expand_as(x)
        assert torch.allclose(gcn(x), gcn.conv(torch.cat([z, uniform], dim=1)), atol=1e-5)
    assert streaming_macs(m) > streaming_macs(_random_model(13, window=16))


def test_drop_path_skips_whole_branches_per_sample_in_training_only() -> None:
    """Stochastic depth: in training each sample either skips a block's branch (output = the
    shortcut alone) or keeps it scaled by 1 / (1 - p); the rate rises linearly with depth from 0;
    eval is the plain block."""
    m = CausalSTGCN(ModelConfig(drop_path=0.3))
    assert [b.drop_path for b in m.blocks] == pytest.approx([0.0, 0.06, 0.12, 0.18, 0.24, 0.3])
    block = m.blocks[5]  # 128 -> 128 channels: an identity shortcut
    block.drop.p = 0.0  # no dropout: every sample's branch is then the same
    x = torch.randn(1, 128, 12, 20).expand(400, -1, -1, -1)  # identical samples
    state = m.initial_states(400)[5]
    torch.manual_seed(0)
    with torch.no_grad():
        y, _ = block.train()(x, state)
        block.drop_path = 0.0
        ref, _ = block(x, state)  # the same batch (same BatchNorm statistics), every branch kept
    skipped = torch.isclose(y, F.relu(x), atol=1e-6).flatten(1).all(1)
    assert 0.22 < skipped.float().mean() < 0.38  # about the last block's 0.3
    # a kept sample: relu(branch / 0.7 + x), where ref = relu(branch + x); compare where both > 0
    kept = y[~skipped][0]
    pos = (ref[0] > 0) & (kept > 0)
    assert torch.allclose((kept - x[0])[pos], ((ref[0] - x[0]) / 0.7)[pos], atol=1e-5)
    with torch.no_grad():  # eval: the plain block, whatever drop_path says
        block.eval()
        plain, _ = block(x[:2], state[:2])
        block.drop_path = 0.3
        assert torch.equal(block(x[:2], state[:2])[0], plain)
    with pytest.raises(ValueError, match="drop_path"):
        CausalSTGCN(ModelConfig(drop_path=1.0))


def test_window_mean_and_max_count_only_frames_since_the_stream_started() -> None:
    """window_pool "meanmax": mean and max over the last ``window`` frames, by hand; frames before
    the stream started (zero state) count in neither, even when every feature is negative."""
    pool = CausalWindowPool(4, with_max=True)
    x = -torch.rand(1, 3, 9) - 1.0  # all negative: a zero-filled history would win the max
    out, state = pool(x, torch.zeros(1, 4, 3))
    assert out.shape == (1, 6, 9) and state.shape == (1, 4, 3)
    for t in range(9):
        win = x[0, :, max(0, t - 3) : t + 1]
        assert torch.allclose(out[0, :3, t], win.mean(1)) and torch.allclose(out[0, 3:, t], win.amax(1))
    # the classifier reads both halves; configs saved before the option load as the mean only
    m = _random_model(13, window=16, window_pool="meanmax")
    assert m.fc.in_features == 2 * m.feature_dim
    assert streaming_macs(m) - streaming_macs(_random_model(13, window=16)) == m.feature_dim * 10
    old = {k: v for k, v in m.config.to_dict().items() if k != "window_pool"}
    assert ModelConfig.from_dict(old).window_pool == "mean"
    with pytest.raises(ValueError, match="unknown window_pool 'median'"):
        CausalSTGCN(ModelConfig(window_pool="median"))


def test_under_bf16_autocast_the_temporal_convs_stay_in_bf16() -> None:
    """A float32 state concatenated with bf16 activations would promote each temporal conv's input
    to float32 (and the conv cast it back): the states that come out stay bf16, the logits are the
    same as with bf16 zero states, and float32 inference is unchanged."""
    for tcn in ("single", "multiscale"):
        m = _random_model(7, window=16, tcn=tcn)
        x = torch.randn(2, 30, 20, 6)
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
            fmap, states = m.features(x, m.initial_states(2))
            again, _ = m.features(x, [s.bfloat16() for s in m.initial_states(2)])
        assert all(s.dtype == torch.bfloat16 for s in states)
        assert torch.equal(fmap, again)
        with torch.no_grad():
            assert all(s.dtype == torch.float32 for s in m.features(x, m.initial_states(2))[1])


def test_a_model_trains_the_same_with_its_1x1_convs_as_matrix_products(monkeypatch) -> None:
    """The whole stream in training mode: logits and parameter gradients with PointwiseConv's
    matrix products match those of the plain 1x1 convolutions (float rounding apart)."""
    m = _random_model(3, window=16, readout="parts")
    x = torch.randn(2, 25, 20, 6)

    def logits_and_grads() -> list[torch.Tensor]:
        m.zero_grad()
        torch.manual_seed(1)  # the same dropout draws
        logits, _ = m.train().forward_offline(x)
        logits.square().mean().backward()
        return [logits.detach(), *(p.grad.clone() for p in m.parameters() if p.grad is not None)]

    fast = logits_and_grads()
    monkeypatch.setattr(PointwiseConv, "forward", torch.nn.Conv2d.forward)
    plain = logits_and_grads()
    assert len(fast) == len(plain) > 10
    for a, b in zip(fast, plain, strict=True):
        torch.testing.assert_close(a, b, atol=1e-4, rtol=1e-3)


def test_gated_window_is_a_learned_weighted_mean_of_frames_since_the_stream_started() -> None:
    """window_pool "gated": frame t weighs sigmoid(g . x_t + b), by hand; it starts as the plain
    mean (g = 0, b = 0); frames before the stream started weigh nothing."""
    x = torch.randn(1, 3, 9)
    gated, plain = CausalWindowPool(4, channels=3, gated=True), CausalWindowPool(4)
    assert torch.allclose(gated(x, torch.zeros(1, 4, 3))[0], plain(x, torch.zeros(1, 4, 3))[0], atol=1e-6)
    with torch.no_grad():
        gated.gate.weight.copy_(torch.tensor([[[4.0], [0.0], [0.0]]]))  # weight from channel 0 only
        gated.gate.bias.fill_(-1.0)
    out, state = gated(x, torch.zeros(1, 4, 3))
    assert out.shape == (1, 3, 9) and state.shape == (1, 4, 3)
    w = torch.sigmoid(4.0 * x[0, 0] - 1.0)
    for t in range(9):
        lo = max(0, t - 3)
        win, ww = x[0, :, lo : t + 1], w[lo : t + 1]
        assert torch.allclose(out[0, :, t], (win * ww).sum(1) / ww.sum(), atol=1e-6)
    # the weights did matter: not the plain mean any more
    assert not torch.allclose(out, plain(x, torch.zeros(1, 4, 3))[0], atol=1e-3)
    m = _random_model(13, window=16, window_pool="gated")
    assert m.fc.in_features == m.feature_dim
    assert streaming_macs(m) - streaming_macs(_random_model(13, window=16)) == 16 * m.feature_dim
    with pytest.raises(ValueError, match="at most one of with_max, gated or recent"):
        CausalWindowPool(4, with_max=True, channels=3, gated=True)


def test_parts_readout_classifies_the_windowed_means_of_each_body_part() -> None:
    """readout "parts": the classifier reads the windowed mean of each body part's joints, side by
    side, by hand from the last block's map; "joints_meanmax" the windowed mean and maximum over
    all joints."""
    m = _random_model(14, window=16, readout="parts").eval()
    parts = part_joint_indices()
    assert len(parts) == len(BODY_PARTS) and m.readout_dim == len(parts) * m.feature_dim
    assert m.fc.in_features == m.readout_dim and m.state_shapes()[-1] == (m.readout_dim + 1, 15)
    x = torch.randn(1, 25, 20, 6)
    with torch.no_grad():
        logits, fmap = m.forward_offline(x)
        per_frame = torch.cat([fmap[..., idx].mean(dim=3) for idx in parts], dim=1)  # (1, C * P, T)
        for t in (0, 7, 24):
            pooled = per_frame[:, :, max(0, t - 15) : t + 1].mean(dim=2)
            assert torch.allclose(logits[:, t], m.fc(pooled), atol=1e-5)
    assert streaming_macs(m) - streaming_macs(_random_model(14, window=16)) == (
        (m.readout_dim - m.feature_dim) * m.config.num_classes + m.readout_dim * 20)
    m2 = _random_model(14, window=16, readout="joints_meanmax").eval()
    assert m2.readout_dim == 2 * m2.feature_dim == m2.fc.in_features
    with torch.no_grad():
        logits, fmap = m2.forward_offline(x)
        per_frame = torch.cat([fmap.mean(dim=3), fmap.max(dim=3).values], dim=1)  # (1, 2C, T)
        for t in (0, 7, 24):
            pooled = per_frame[:, :, max(0, t - 15) : t + 1].mean(dim=2)
            assert torch.allclose(logits[:, t], m2.fc(pooled), atol=1e-5)
    with pytest.raises(ValueError, match="unknown readout 'head'"):
        CausalSTGCN(ModelConfig(readout="head"))
    old = {k: v for k, v in m.config.to_dict().items() if k != "readout"}
    assert ModelConfig.from_dict(old).readout == "joints"


def test_lateral_readout_adds_how_differently_the_two_sides_move() -> None:
    """readout "parts_lateral": the six part means, then for hands, arms, legs and feet the
    absolute difference of the left and right joints' means (by hand from the last block's map),
    which a mirror image of the map (left and right joints swapped) leaves as it is, while one
    side moving alone changes it."""
    m = _random_model(15, window=16, readout="parts_lateral").eval()
    parts, sides = part_joint_indices(), lateral_part_sides()
    assert m.readout_dim == (len(parts) + len(sides)) * m.feature_dim == m.fc.in_features
    x = torch.randn(1, 25, 20, 6)
    with torch.no_grad():
        logits, fmap = m.forward_offline(x)

        def per_frame(f: torch.Tensor) -> torch.Tensor:  # (1, C * 10, T)
            means = [f[..., idx].mean(dim=3) for idx in parts]
            diffs = [(f[..., left].mean(dim=3) - f[..., right].mean(dim=3)).abs() for left, right in sides]
            return torch.cat(means + diffs, dim=1)

        pf = per_frame(fmap)
        for t in (0, 7, 24):
            pooled = pf[:, :, max(0, t - 15) : t + 1].mean(dim=2)
            assert torch.allclose(logits[:, t], m.fc(pooled), atol=1e-5)
        mirrored = fmap[..., torch.from_numpy(CANONICAL.flip_index.astype(np.int64))]
        assert torch.allclose(m.head(mirrored, m.initial_states(1)[-1])[0], logits, atol=1e-5)
        # both hands' activations up by 1, or the left one's by 2: the same "hands" mean, which
        # the "parts" readout alone cannot tell apart; this one can
        both, one = fmap.clone(), fmap.clone()
        both[..., [CANONICAL.index("hand_left"), CANONICAL.index("hand_right")]] += 1.0
        one[..., CANONICAL.index("hand_left")] += 2.0
        plain = _random_model(15, window=16, readout="parts").eval()
        state = plain.initial_states(1)[-1]
        assert torch.allclose(plain.head(both, state)[0], plain.head(one, state)[0], atol=1e-5)
        state = m.initial_states(1)[-1]
        assert (m.head(both, state)[0] - m.head(one, state)[0]).abs().amax() > 1e-2
    assert streaming_macs(m) - streaming_macs(_random_model(15, window=16)) == (  # 6 means, 4 differences
        (m.readout_dim - m.feature_dim) * m.config.num_classes + m.feature_dim * 10 * 20)


def test_ensemble_averages_probabilities_and_streams(tmp_path) -> None:
    a, b = _random_model(5, window=16), _random_model(6, window=16, stream="bone")
    ens = EnsembleSTGCN([a, b]).eval()
    x = torch.randn(2, 30, 20, 6)
    with torch.no_grad():
        off, _ = ens.forward_offline(x)
        mean = (torch.softmax(a.forward_offline(x)[0], -1) + torch.softmax(b.forward_offline(x)[0], -1)) / 2
        assert torch.allclose(torch.softmax(off, -1), mean, atol=1e-6)
        states, outs = ens.initial_states(2), []
        for t in range(x.shape[1]):
            o, *states = ens(x[:, t : t + 1], *states)
            outs.append(o)
    assert torch.allclose(torch.cat(outs, 1), off, atol=1e-4)
    assert ens.state_shapes() == a.state_shapes() + b.state_shapes()

    path = tmp_path / "ens.onnx"
    assert export_onnx(ens, path, [f"c{i}" for i in range(10)], FeatureConfig()) < 1e-4
    meta = read_metadata(path)
    assert json.loads(meta["skelapp.streams"]) == ["joint", "bone"]
    assert [m["stream"] for m in json.loads(meta["skelapp.model_config"])["members"]] == ["joint", "bone"]
    assert len(StreamingRecognizer(path, prefer_gpu=False).info.state_shapes) == len(ens.state_shapes())
    with pytest.raises(ValueError, match="share"):
        EnsembleSTGCN([a, CausalSTGCN(ModelConfig(num_classes=4))])


def test_mirror_averaging_equals_members_on_mirrored_input_and_streams(tmp_path) -> None:
    """``mirror=True`` averages each member on x and on its mirror image (the features of the
    mirrored body, see core's ``mirror_features``), offline and one frame at a time alike."""
    a, b = _random_model(7, window=16), _random_model(8, window=16, stream="bone")
    ens = EnsembleSTGCN([a, b], mirror=True).eval()
    x = torch.randn(2, 30, 20, 6)
    xm = torch.from_numpy(mirror_features(x.numpy()))
    with torch.no_grad():
        off, _ = ens.forward_offline(x)
        probs = [torch.softmax(m.forward_offline(v)[0], -1) for v in (x, xm) for m in (a, b)]
        assert torch.allclose(torch.softmax(off, -1), torch.stack(probs).mean(0), atol=1e-6)
        # the prediction of the mirrored clip is that of the clip: averaging made it symmetric
        assert torch.allclose(ens.forward_offline(xm)[0], off, atol=1e-5)
        assert not torch.allclose(EnsembleSTGCN([a, b]).forward_offline(xm)[0], off, atol=1e-3)
        states, outs = ens.initial_states(2), []
        for t in range(x.shape[1]):
            o, *states = ens(x[:, t : t + 1], *states)
            outs.append(o)
    assert torch.allclose(torch.cat(outs, 1), off, atol=1e-4)
    assert ens.state_shapes() == 2 * (a.state_shapes() + b.state_shapes())
    assert streaming_macs(ens) == 2 * (streaming_macs(a) + streaming_macs(b))

    path = tmp_path / "mirror.onnx"
    assert export_onnx(ens, path, [f"c{i}" for i in range(10)], FeatureConfig()) < 1e-4
    meta = read_metadata(path)
    assert json.loads(meta["skelapp.mirror_averaged"]) is True
    assert len(StreamingRecognizer(path, prefer_gpu=False).info.state_shapes) == len(ens.state_shapes())


@pytest.mark.parametrize("masked", [False, True])
def test_masked_bn_keeps_padding_out_of_training_statistics(masked) -> None:
    """In training mode, what the padding after a short clip holds changes the real frames' logits
    through BatchNorm's batch statistics, unless ``masked_bn``; eval mode never depends on it."""
    m = _random_model(dropout=0.0, masked_bn=masked).train()
    torch.manual_seed(1)
    x = torch.randn(2, 12, 20, 6)
    mask = torch.ones(2, 12, dtype=torch.bool)
    mask[1, 7:] = False
    other = x.clone()
    other[1, 7:] = torch.randn(5, 20, 6) * 5
    real = mask[:, :, None]
    a, b = m.forward_offline(x, mask)[0], m.forward_offline(other, mask)[0]
    assert torch.allclose(a * real, b * real, atol=1e-4) == masked
    m.eval()
    a, b = m.forward_offline(x, mask)[0], m.forward_offline(other, mask)[0]
    assert torch.allclose(a * real, b * real, atol=1e-5)


def test_masked_bn_needs_single_temporal_convs() -> None:
    with pytest.raises(ValueError, match="masked_bn"):
        CausalSTGCN(ModelConfig(masked_bn=True, tcn="multiscale"))
