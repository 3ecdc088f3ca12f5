"""InceptionV1 (GoogLeNet, the "inception5h" graph of Lucid) with Lucid's layer names.

The parameters are named as in the common PyTorch port of Lucid's graph (Lucent's
`InceptionV1`: `conv2d0_pre_relu_conv.weight`, `mixed3a_1x1_pre_relu_conv.weight`, ...,
`softmax2_pre_activation_matmul.weight`), so its state dict loads with a checked, strict copy.
The layers a user names are Lucid's:

    conv2d0, maxpool0, localresponsenorm0, conv2d1, conv2d2, localresponsenorm1, maxpool1,
    mixed3a, mixed3b, maxpool4, mixed4a ... mixed4e, maxpool10, mixed5a, mixed5b,
    avgpool0, softmax2_pre_activation_matmul (the 1008 logits), softmax2 (probabilities)

and inside each mixed block its branches (`mixed4a_1x1`, `mixed4a_3x3_bottleneck`,
`mixed4a_3x3`, `mixed4a_5x5_bottleneck`, `mixed4a_5x5`, `mixed4a_pool`,
`mixed4a_pool_reduce`), each a ReLU output; `*_pre_relu_conv` are the convolutions before it.
The model takes RGB in [0, 1] and feeds the graph its range, 255 x - 117. Its forward returns
the logits of the 1008 outputs (1000 ImageNet classes plus unused ones).
"""

from __future__ import annotations

import torch
from torch import nn

from .padding import SameConv2d, SameMaxPool2d

# name: (in, 1x1, 3x3 bottleneck, 3x3, 5x5 bottleneck, 5x5, pool reduce)
MIXED = {
    "mixed3a": (192, 64, 96, 128, 16, 32, 32),
    "mixed3b": (256, 128, 128, 192, 32, 96, 64),
    "mixed4a": (480, 192, 96, 204, 16, 48, 64),
    "mixed4b": (508, 160, 112, 224, 24, 64, 64),
    "mixed4c": (512, 128, 128, 256, 24, 64, 64),
    "mixed4d": (512, 112, 144, 288, 32, 64, 64),
    "mixed4e": (528, 256, 160, 320, 32, 128, 128),
    "mixed5a": (832, 256, 160, 320, 48, 128, 128),
    "mixed5b": (832, 384, 192, 384, 48, 128, 128),
}
POOL_BEFORE = {"mixed4a": "maxpool4", "mixed5a": "maxpool10"}
NUM_OUTPUTS = 1008


class Concat(nn.Module):
    """Channel concatenation as a module, so a mixed block's output has a name."""

    def forward(self, *parts: torch.Tensor) -> torch.Tensor:
        return torch.cat(parts, dim=1)


def _lrn() -> nn.LocalResponseNorm:
    # TF's local_response_normalization(depth_radius=4, alpha=1e-4, beta=0.5, bias=1)
    # equals PyTorch's with size 9 and alpha scaled by the window size.
    return nn.LocalResponseNorm(size=9, alpha=9.99999974738e-05 * 9, beta=0.5, k=1.0)


class InceptionV1(nn.Module):
    """GoogLeNet as in Lucid's modelzoo: RGB in [0, 1] -> 1008 logits."""

    input_size = 224

    def __init__(self):
        super().__init__()
        self.conv2d0_pre_relu_conv = SameConv2d(3, 64, 7, stride=2)
        self.conv2d0 = nn.ReLU()
        self.maxpool0 = SameMaxPool2d(3, 2)
        self.localresponsenorm0 = _lrn()
        self.conv2d1_pre_relu_conv = nn.Conv2d(64, 64, 1)
        self.conv2d1 = nn.ReLU()
        self.conv2d2_pre_relu_conv = nn.Conv2d(64, 192, 3, padding=1)
        self.conv2d2 = nn.ReLU()
        self.localresponsenorm1 = _lrn()
        self.maxpool1 = SameMaxPool2d(3, 2)
        for name, (cin, c1, b3, c3, b5, c5, cp) in MIXED.items():
            if name in POOL_BEFORE:
                setattr(self, POOL_BEFORE[name], SameMaxPool2d(3, 2))
            self._add_mixed(name, cin, c1, b3, c3, b5, c5, cp)
        self.avgpool0 = nn.AdaptiveAvgPool2d(1)
        self.softmax2_pre_activation_matmul = nn.Linear(1024, NUM_OUTPUTS)
        self.softmax2 = nn.Softmax(dim=1)

    def _add_mixed(self, name: str, cin: int, c1: int, b3: int, c3: int, b5: int, c5: int, cp: int):
        convs = {
            "1x1": nn.Conv2d(cin, c1, 1),
            "3x3_bottleneck": nn.Conv2d(cin, b3, 1),
            "3x3": nn.Conv2d(b3, c3, 3, padding=1),
            "5x5_bottleneck": nn.Conv2d(cin, b5, 1),
            "5x5": nn.Conv2d(b5, c5, 5, padding=2),
            "pool_reduce": nn.Conv2d(cin, cp, 1),
        }
        for branch, conv in convs.items():
            setattr(self, f"{name}_{branch}_pre_relu_conv", conv)
            setattr(self, f"{name}_{branch}", nn.ReLU())
        setattr(self, f"{name}_pool", nn.MaxPool2d(3, stride=1, padding=1))
        setattr(self, name, Concat())

    def _unit(self, name: str, x: torch.Tensor) -> torch.Tensor:
        """conv -> ReLU of the branch `name`."""
        return getattr(self, name)(getattr(self, f"{name}_pre_relu_conv")(x))

    def _mixed(self, name: str, x: torch.Tensor) -> torch.Tensor:  # (N, cin, H, W)
        one = self._unit(f"{name}_1x1", x)
        three = self._unit(f"{name}_3x3", self._unit(f"{name}_3x3_bottleneck", x))
        five = self._unit(f"{name}_5x5", self._unit(f"{name}_5x5_bottleneck", x))
        pool = self._unit(f"{name}_pool_reduce", getattr(self, f"{name}_pool")(x))
        return getattr(self, name)(one, three, five, pool)       # (N, sum of branches, H, W)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (N, 3, H, W) RGB in [0, 1]
        x = x * 255.0 - 117.0
        x = self.maxpool0(self._unit("conv2d0", x))             # (N, 64, H/4, W/4)
        x = self._unit("conv2d1", self.localresponsenorm0(x))
        x = self.maxpool1(self.localresponsenorm1(self._unit("conv2d2", x)))  # (N, 192, H/8, W/8)
        for name in MIXED:
            if name in POOL_BEFORE:
                x = getattr(self, POOL_BEFORE[name])(x)
            x = self._mixed(name, x)                            # mixed5b: (N, 1024, H/32, W/32)
        logits = self.softmax2_pre_activation_matmul(self.avgpool0(x).flatten(1))  # (N, 1008)
        self.softmax2(logits)  # computed so the layer `softmax2` can be read by a hook
        return logits
