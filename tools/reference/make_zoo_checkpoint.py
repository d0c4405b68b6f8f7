"""Writes a small random-weight torchvision RetinaNet checkpoint (v1 layout, ResNet-18-FPN, 91 COCO classes) for the
model-zoo tests, which serve it from a local HTTP server (no published checkpoint can be downloaded here).

usage: make_zoo_checkpoint.py OUT.pth
"""
import sys

import torch
from torchvision.models import resnet18
from torchvision.models.detection.backbone_utils import _resnet_fpn_extractor
from torchvision.models.detection.retinanet import RetinaNet, RetinaNetHead, _default_anchorgen
from torchvision.ops.feature_pyramid_network import LastLevelP6P7

torch.manual_seed(0)
backbone = _resnet_fpn_extractor(resnet18(), 5, returned_layers=[2, 3, 4], extra_blocks=LastLevelP6P7(256, 256))
anchors = _default_anchorgen()
model = RetinaNet(backbone, 91, anchor_generator=anchors, head=RetinaNetHead(256, 9, 91), min_size=128, max_size=192)
torch.save(model.state_dict(), sys.argv[1])
