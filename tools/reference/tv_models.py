"""Builds torchvision RetinaNets (v1 / v2, ResNet-50 / ResNet-101) with random weights.

Shared by make_tv_models.py (parity fixtures) and bench_tv.py (speed reference).
Depth 50 uses torchvision's own builders; depth 101 assembles the same parts by hand
(torchvision 0.14 has no R-101 RetinaNet builder).
"""

from functools import partial

import torch
from torch import nn
from torchvision.models import resnet101
from torchvision.models.detection import retinanet_resnet50_fpn, retinanet_resnet50_fpn_v2
from torchvision.models.detection.backbone_utils import _resnet_fpn_extractor
from torchvision.models.detection.retinanet import RetinaNet, RetinaNetHead, _default_anchorgen
from torchvision.ops.feature_pyramid_network import LastLevelP6P7
from torchvision.ops.misc import FrozenBatchNorm2d

NUM_CLASSES = 91  # torchvision's raw COCO ids, 0 = background


def build_retinanet(version: str, depth: int, min_size: int, max_size: int) -> RetinaNet:
    """A random-weight RetinaNet as torchvision builds it without pretrained weights.

    version: "v1" (P6 from P5, no head norm, L1 box loss) or "v2" (P6 from C5, GroupNorm head, GIoU).
    depth: 50 or 101. min_size/max_size: the model transform's resize bounds.
    """
    if version not in ("v1", "v2"):
        raise ValueError(f"version: expected 'v1' or 'v2', got {version!r}")
    if depth not in (50, 101):
        raise ValueError(f"depth: expected 50 or 101, got {depth!r}")
    sizes = dict(min_size=min_size, max_size=max_size)
    if depth == 50:
        if version == "v1":
            return retinanet_resnet50_fpn(weights=None, weights_backbone=None, **sizes)
        return retinanet_resnet50_fpn_v2(weights=None, weights_backbone=None, **sizes)
    # Same as the R-50 builders with weights=None: plain BatchNorm2d, all 5 stages trainable.
    in_p6 = 256 if version == "v1" else 2048
    backbone = _resnet_fpn_extractor(
        resnet101(), 5, returned_layers=[2, 3, 4], extra_blocks=LastLevelP6P7(in_p6, 256)
    )
    if version == "v1":
        return RetinaNet(backbone, NUM_CLASSES, **sizes)
    anchor_generator = _default_anchorgen()
    head = RetinaNetHead(
        backbone.out_channels,
        anchor_generator.num_anchors_per_location()[0],
        NUM_CLASSES,
        norm_layer=partial(nn.GroupNorm, 32),
    )
    head.regression_head._loss_type = "giou"
    return RetinaNet(backbone, NUM_CLASSES, anchor_generator=anchor_generator, head=head, **sizes)


def freeze_batchnorm(module: nn.Module, eps: float) -> None:
    """Replaces every BatchNorm2d by a FrozenBatchNorm2d with the same statistics, in place.

    This is the layout of torchvision's COCO v1 checkpoint (no num_batches_tracked keys),
    which torchvision runs with eps = 0 (overwrite_eps).
    """
    for name, child in module.named_children():
        if isinstance(child, nn.BatchNorm2d):
            frozen = FrozenBatchNorm2d(child.num_features, eps=eps)
            with torch.no_grad():
                frozen.weight.copy_(child.weight)
                frozen.bias.copy_(child.bias)
                frozen.running_mean.copy_(child.running_mean)
                frozen.running_var.copy_(child.running_var)
            setattr(module, name, frozen)
        else:
            freeze_batchnorm(child, eps)
