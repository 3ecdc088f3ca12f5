"""TensorFlow "same" padding, for checkpoints trained in TensorFlow.

A strided TF convolution or pooling with "same" padding produces ceil(size / stride) outputs
and puts the odd extra pixel of padding on the bottom and right. PyTorch's symmetric padding
shifts every such layer by half a pixel, which the weights notice.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def same_amount(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """(before, after) padding of one spatial dimension."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def tf_same_pad(x: torch.Tensor, kernel: int, stride: int, value: float = 0.0) -> torch.Tensor:
    """Pad (N, C, H, W) the way TF's "same" does before a `kernel` x `kernel` window."""
    top, bottom = same_amount(x.shape[-2], kernel, stride)
    left, right = same_amount(x.shape[-1], kernel, stride)
    if top == bottom == left == right == 0:
        return x
    return F.pad(x, (left, right, top, bottom), value=value)


class SameConv2d(nn.Conv2d):
    """A square-kernel `nn.Conv2d` with TF "same" padding (state-dict compatible with it)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, padding=0, **kwargs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (N, C, H, W)
        return super().forward(tf_same_pad(x, self.kernel_size[0], self.stride[0]))


class SameMaxPool2d(nn.MaxPool2d):
    """`nn.MaxPool2d` with TF "same" padding (padded with -inf, so padding never wins)."""

    def __init__(self, kernel: int, stride: int):
        super().__init__(kernel, stride)
        self.kernel, self.step = kernel, stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (N, C, H, W)
        return super().forward(tf_same_pad(x, self.kernel, self.step, value=float("-inf")))
