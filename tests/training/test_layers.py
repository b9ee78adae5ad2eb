"""The network's building blocks on their own: 1x1 convolutions as matrix products, joint dropping,
BatchNorm over a frame mask."""

from __future__ import annotations

import pytest
import torch
from torch.nn import functional as F

from skelapp.core.layouts import CANONICAL
from skelapp.training.layers import JointDrop, PointwiseConv, batch_norm


def test_pointwise_conv_trains_as_a_matrix_product_equal_to_the_convolution(monkeypatch) -> None:
    """In training mode a PointwiseConv gives the 1x1 convolution's output and gradients (float
    rounding apart) without calling it; under bf16 autocast its output stays bf16 (a float32 bias
    would promote it); in eval mode it is the convolution itself, bit for bit."""
    torch.manual_seed(0)
    pw = PointwiseConv(12, 7)
    conv = torch.nn.Conv2d(12, 7, 1)
    conv.load_state_dict(pw.state_dict())  # the same parameters under the same keys
    x = torch.randn(3, 12, 9, 20, requires_grad=True)
    ref = F.conv2d(x, conv.weight, conv.bias)
    with monkeypatch.context() as patch:  # training mode never reaches the convolution
        patch.setattr(torch.nn.Conv2d, "_conv_forward", lambda *a: pytest.fail("convolution called"))
        y = pw.train()(x)
    assert y.shape == (3, 7, 9, 20)
    torch.testing.assert_close(y, ref, atol=1e-5, rtol=1e-5)
    g = torch.randn_like(y)
    grads = torch.autograd.grad(y, (x, pw.weight, pw.bias), g)
    ref_grads = torch.autograd.grad(ref, (x, conv.weight, conv.bias), g)
    for a, b in zip(grads, ref_grads, strict=True):
        torch.testing.assert_close(a, b, atol=1e-4, rtol=1e-4)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert pw(x).dtype == torch.bfloat16
    with torch.no_grad():
        assert torch.equal(pw.eval()(x), F.conv2d(x, conv.weight, conv.bias))


def test_joint_drop_zeroes_whole_joint_neighbourhoods_in_training_only() -> None:
    drop = JointDrop(0.2)
    x = torch.rand(2000, 3, 4, CANONICAL.num_joints) + 0.5  # (B, C, T, V), no zeros of its own
    torch.manual_seed(0)
    y = drop.train()(x)
    dropped = (y == 0).all(dim=2).all(dim=1)  # (B, V): a joint is dropped over all channels/frames
    assert ((y == 0) == dropped[:, None, None, :]).all()  # ...or not at all
    assert 0.12 < dropped.float().mean() < 0.25  # about the asked fraction
    kept = ~dropped
    scale = CANONICAL.num_joints / kept.sum(1).float()
    assert torch.allclose(y, x * (kept * scale[:, None]).float()[:, None, None, :])  # rescaled
    # neighbourhoods, not single joints: every dropped joint has a dropped neighbour (it was a seed,
    # whose neighbours went with it, or a seed's neighbour)
    bones = torch.from_numpy(CANONICAL.adjacency())
    assert ((dropped.float() @ bones) > 0)[dropped].all()
    assert torch.equal(drop.eval()(x), x)
    with pytest.raises(ValueError, match="drop_joints"):
        JointDrop(1.0)


def test_batch_norm_with_a_frame_mask_uses_the_real_frames_only() -> None:
    """Statistics (and running statistics) of a padded batch equal plain BatchNorm's on the real
    frames packed together; without a mask, or in eval mode, it is the module itself."""
    torch.manual_seed(0)
    x = torch.randn(3, 4, 7, 5) * 3 + 1
    mask = torch.tensor([[True] * 7, [True] * 4 + [False] * 3, [True] * 2 + [False] * 5])
    x = x.masked_fill(~mask[:, None, :, None], 100.0)  # padding far off: it must not move the statistics
    packed = x.permute(0, 2, 3, 1)[mask].reshape(1, -1, 4).permute(0, 2, 1)  # (1, C, frames x V)
    masked, plain = torch.nn.BatchNorm2d(4).train(), torch.nn.BatchNorm1d(4).train()
    for bn in (masked, plain):
        bn.weight.data.uniform_(0.5, 2.0)
        bn.bias.data.normal_()
    plain.load_state_dict(masked.state_dict())
    y = batch_norm(masked, x, mask)
    ref = plain(packed)
    assert torch.allclose(y.permute(0, 2, 3, 1)[mask].reshape(1, -1, 4).permute(0, 2, 1), ref, atol=1e-5)
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        assert torch.allclose(getattr(masked, name).float(), getattr(plain, name).float(), atol=1e-5), name
    assert torch.equal(batch_norm(masked, x, None), masked(x))  # no mask: the module
    masked.eval()
    assert torch.equal(batch_norm(masked, x, mask), masked(x))  # eval: running statistics
