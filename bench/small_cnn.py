"""The small image CNN of the benchmarks (bench/make_small_models.py), also
the eager model definition file (--model-file) of bench/python_worker_bench.sh."""
import torch
from torch import nn


class SmallCnn(nn.Module):
    """About 0.5 ms of forward per 224x224 image on one core."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, 5, stride=4, padding=2), nn.BatchNorm2d(16), nn.ReLU(),
            nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
            nn.Conv2d(32, 64, 3, stride=2, padding=1), nn.BatchNorm2d(64), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1))
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        return self.fc(torch.flatten(self.features(x), 1))
