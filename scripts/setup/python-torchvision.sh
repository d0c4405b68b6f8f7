#!/bin/sh
# Debian's PyTorch + torchvision (torch 1.13, torchvision 0.14) and numpy, used by
# test/convert/fixtures/make_checkpoints.py to write real .pth / .pkl checkpoints for the converter
# tests (run with /usr/bin/python3). Idempotent; runs as root.
set -eu
if /usr/bin/python3 -c 'import torch, torchvision, numpy, PIL' >/dev/null 2>&1; then
  echo "python3-torchvision: already installed"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update
apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends python3-torchvision python3-numpy python3-pil
/usr/bin/python3 -c 'import torch, torchvision, numpy; print("torch", torch.__version__, "torchvision", torchvision.__version__, "numpy", numpy.__version__)'
