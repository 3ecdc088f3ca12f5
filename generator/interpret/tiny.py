"""A tiny random CNN for tests and the `tiny` quality profile.

Deterministic weights (seeded), a 64 px input, and the layout of a real classifier: a stem,
a few blocks, a classifier with 10 classes. Like every Vellum model, it takes RGB in [0, 1]
and normalises inside.
"""

from __future__ import annotations

import torch
from torch import nn


class TinyBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, stride=stride, padding=1)
        self.act = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.conv(x))


class TinyCNN(nn.Module):
    input_size = 64

    def __init__(self, num_classes: int = 10, seed: int = 0):
        super().__init__()
        self.register_buffer("mean", torch.tensor([0.5, 0.5, 0.5]).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor([0.25, 0.25, 0.25]).view(1, 3, 1, 1))
        self.stem = TinyBlock(3, 8, 2)                      # (N, 8, 32, 32)
        self.blocks = nn.Sequential(
            TinyBlock(8, 16, 2),                            # (N, 16, 16, 16)
            TinyBlock(16, 24, 2),                           # (N, 24, 8, 8)
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(24, num_classes)
        generator = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for p in self.parameters():
                p.copy_(torch.randn(p.shape, generator=generator) * (0.5 / max(1, p[0].numel()) ** 0.5))
        self.labels = [f"class {i}" for i in range(num_classes)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (N, 3, H, W) RGB in [0, 1]
        x = (x - self.mean) / self.std
        x = self.blocks(self.stem(x))
        return self.classifier(self.pool(x).flatten(1))  # (N, num_classes)


def tiny_cnn() -> TinyCNN:
    return TinyCNN()
