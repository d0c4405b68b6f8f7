#!/usr/bin/env bash
# Installs what the ingest stage and its tests need: ffmpeg (decoding, test media) and a real RTSP server
# (GStreamer's gst-rtsp-server driven by Python GObject bindings: test/helpers/rtsp_server.py).
# Idempotent; runs as root; waits for the apt lock when another process holds it.
set -euo pipefail

pkgs=(
  ffmpeg
  python3 python3-gi
  gir1.2-glib-2.0 gir1.2-gstreamer-1.0 gir1.2-gst-rtsp-server-1.0
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly
  gstreamer1.0-libav
)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "ingest setup: all packages present"
  exit 0
fi

echo "ingest setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update
apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${missing[@]}"
