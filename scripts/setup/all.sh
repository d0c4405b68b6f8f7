#!/usr/bin/env bash
# Everything a fresh Debian machine needs for the tests, beyond Node 20 and npm: ffmpeg and a GStreamer RTSP
# server, Debian's torchvision (the reference the model is tested against), pycocotools (the reference the
# evaluation is tested against), TrackEval and supervision (the tracking metrics and reference tracker), Apache Kafka's jars from Maven Central (the test broker), Debian's Chromium
# (the live viewer's browser test) and the native TensorFlow backend (tfjs-node's addon built against
# TensorFlow's PyPI wheel: native/build.sh).
# Idempotent; runs as root. Each step is its own script in this folder.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$here/ingest.sh"
sh "$here/python-torchvision.sh"
bash "$here/pycocotools.sh"
bash "$here/tracking-reference.sh"
bash "$here/kafka.sh"
bash "$here/chromium.sh"
bash "$here/native/build.sh"
