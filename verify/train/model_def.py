"""The trained model's definition: torchvision's VisionTransformer sized for 28x28 grey images.

torchvision's class hard-codes a 3-channel patch convolution; a grey image gets a 1-channel conv_proj of the
same kind (same name, kernel = stride = patch), so the state dict keeps torchvision's naming exactly.
"""
from __future__ import annotations

import torch
from torch import nn
from torchvision.models import VisionTransformer

# DeiT-T-like, for 28x28: patch 7 gives 4x4 = 16 patches + the class token = 17 tokens (patch 4, 50 tokens,
# trains 2.2x slower on 2 cores: 6 min an epoch against 2.7).
ARCH = dict(image_size=28, patch_size=7, num_layers=6, num_heads=4, hidden_dim=128, mlp_dim=512, num_classes=10)


def build_model(arch: dict | None = None) -> VisionTransformer:
    a = dict(ARCH if arch is None else arch)
    model = VisionTransformer(**a)
    model.conv_proj = nn.Conv2d(1, a["hidden_dim"], kernel_size=a["patch_size"], stride=a["patch_size"])
    # torchvision initialises conv_proj with a fan-in truncated normal; redo it for the 1-channel conv
    fan_in = model.conv_proj.in_channels * model.conv_proj.kernel_size[0] * model.conv_proj.kernel_size[1]
    nn.init.trunc_normal_(model.conv_proj.weight, std=(1.0 / fan_in) ** 0.5)
    nn.init.zeros_(model.conv_proj.bias)
    return model


def count_parameters(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
