#!/usr/bin/python3
"""A real RTSP server for tests: GStreamer's gst-rtsp-server serving a live test pattern.

Usage: rtsp_server.py [--port N] [--path /test] [--size 160x120] [--fps 25] [--codec h264|jpeg]
Binds 127.0.0.1 (port 0 picks a free one) and prints "PORT <n>" on stdout once it listens.
Installed by scripts/setup/ingest.sh (python3-gi, gir1.2-gst-rtsp-server-1.0, gstreamer1.0-plugins-*).
"""
import argparse
import signal
import sys

import gi

gi.require_version('Gst', '1.0')
gi.require_version('GstRtspServer', '1.0')
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def launch_line(width: int, height: int, fps: int, codec: str) -> str:
    src = (f'videotestsrc is-live=true pattern=smpte ! '
           f'video/x-raw,width={width},height={height},framerate={fps}/1')
    if codec == 'h264':
        enc = (f'x264enc tune=zerolatency speed-preset=ultrafast key-int-max={fps} bitrate=300 ! '
               'rtph264pay name=pay0 pt=96 config-interval=1')
    else:
        enc = 'jpegenc quality=70 ! rtpjpegpay name=pay0 pt=26'
    return f'( {src} ! {enc} )'


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument('--port', type=int, default=0)
    ap.add_argument('--path', default='/test')
    ap.add_argument('--size', default='160x120')
    ap.add_argument('--fps', type=int, default=25)
    ap.add_argument('--codec', choices=['h264', 'jpeg'], default='h264')
    args = ap.parse_args()
    width, height = (int(v) for v in args.size.split('x'))

    Gst.init(None)
    if args.codec == 'h264' and Gst.ElementFactory.find('x264enc') is None:
        args.codec = 'jpeg'

    server = GstRtspServer.RTSPServer()
    server.set_address('127.0.0.1')
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(launch_line(width, height, args.fps, args.codec))
    factory.set_shared(True)
    server.get_mount_points().add_factory(args.path, factory)
    if server.attach(None) == 0:
        print(f'rtsp_server.py: cannot listen on 127.0.0.1:{args.port}', file=sys.stderr)
        return 1

    loop = GLib.MainLoop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, loop.quit)
    print(f'PORT {server.get_bound_port()} CODEC {args.codec}', flush=True)
    loop.run()
    return 0


if __name__ == '__main__':
    sys.exit(main())
