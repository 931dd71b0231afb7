"""A small ResNet (He et al. 2016) for 28x28 and 32x32 images."""
from __future__ import annotations

from typing import Sequence

from numtorch import nn


class BasicBlock(nn.Module):
    """``relu(bn(conv3x3(relu(bn(conv3x3(x))))) + shortcut(x))``; ``(N, cin, H, W) -> (N, cout, H/s, W/s)``.

    The shortcut is the identity, or a strided 1x1 conv with BatchNorm when the shape changes.
    """

    def __init__(self, cin: int, cout: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))
        else:
            self.shortcut = nn.Identity()

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + self.shortcut(x))


class SmallResNet(nn.Module):
    """A ResNet with three stages (width w, 2w, 4w; the last two downsample by 2) and global average pooling.

    ``conv3x3(w) -> BN -> relu -> stage1 -> stage2 -> stage3 -> avgpool -> Linear``, each stage
    ``depth`` BasicBlocks: 28x28 inputs go 28 -> 14 -> 7, 32x32 inputs 32 -> 16 -> 8.
    Input ``(N, C, H, W)``, output ``(N, num_classes)``.
    Parameters, 10 classes, defaults (width=16, depth=1): 77,754 for 1x28x28, 78,042 for 3x32x32.
    """

    def __init__(self, in_shape: Sequence[int] = (1, 28, 28), num_classes: int = 10, width: int = 16,
                 depth: int = 1) -> None:
        super().__init__()
        c = in_shape[0]
        self.stem = nn.Sequential(nn.Conv2d(c, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU())
        stages: list[nn.Module] = []
        cin = width
        for i, cout in enumerate((width, 2 * width, 4 * width)):
            for b in range(depth):
                stages.append(BasicBlock(cin, cout, stride=2 if (i > 0 and b == 0) else 1))
                cin = cout
        self.stages = nn.Sequential(*stages)
        self.pool = nn.AdaptiveAvgPool2d((1, 1))
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(cin, num_classes)

    def forward(self, x):
        return self.fc(self.flatten(self.pool(self.stages(self.stem(x)))))
