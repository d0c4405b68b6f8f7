#!/usr/bin/env bash
# Builds the native TensorFlow backend (tfjs-node's addon) on this machine, from registries only:
#   * TensorFlow's C API (libtensorflow_cc.so.2 + libtensorflow_framework.so.2 and the C headers) from
#     TensorFlow's PyPI wheel (tensorflow-cpu, or tensorflow + the CUDA 12 wheels of its `and-cuda` extra);
#   * tfjs-node's addon sources (binding.gyp, binding/*.cc) and JS from its npm tarball;
#   * node-gyp as bundled with npm, against Node's own headers.
# The stock @tensorflow/tfjs-node install downloads a prebuilt libtensorflow 2.9.1 from Google's storage,
# which machines without that access cannot do; this build needs only PyPI and npm.
#
# Usage: bash scripts/setup/native/build.sh [--gpu] [--force]     (npm run setup:native [-- --gpu])
# Result: .native/cpu (or .native/gpu) in the project; outside node_modules, so `npm ci` / `npm install`
# leave it alone. Backend selection (src/backend/nativeAddon.ts) finds it there, or at $RETINASTREAM_NATIVE_DIR.
# The wheel is cached in ${XDG_CACHE_HOME:-~/.cache}/retinastream/native/wheels.
set -euo pipefail

variant=cpu
force=0
for a in "$@"; do
  case "$a" in
    --gpu) variant=gpu ;;
    --force) force=1 ;;
    *) echo "native build: unknown argument '$a' (expected --gpu, --force)" >&2; exit 2 ;;
  esac
done

TF_VERSION=2.21.0
TFJS_VERSION=4.22.0
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
dest="$root/.native/$variant"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/retinastream/native/wheels"
if [[ $variant == gpu ]]; then wheel_pkg=tensorflow; js_pkg=tfjs-node-gpu; else wheel_pkg=tensorflow-cpu; js_pkg=tfjs-node; fi
stamp="$dest/BUILT"
want_stamp="tensorflow=$TF_VERSION tfjs=$TFJS_VERSION variant=$variant node-abi=$(node -p process.versions.modules)"
pkg_dir="$dest/node_modules/@tensorflow/$js_pkg"

log() { echo "native ($variant): $*"; }

if [[ ! -d "$root/node_modules/tsx" || ! -d "$root/node_modules/@tensorflow/tfjs" ]]; then
  echo "native build: the project's dependencies are not installed (no node_modules/tsx or @tensorflow/tfjs): run npm install (or npm ci) first" >&2
  exit 1
fi

if [[ $force == 0 && -f $stamp && "$(cat "$stamp")" == "$want_stamp" ]]; then
  log "already built in ${dest#$root/} ($want_stamp)"
  exit 0
fi

# 1. TensorFlow's wheel (a manylinux x86_64 wheel: the libraries do not depend on the Python version).
mkdir -p "$cache"
whl_glob="$cache/${wheel_pkg//-/_}-$TF_VERSION-*.whl"
# shellcheck disable=SC2086
if ! ls $whl_glob >/dev/null 2>&1; then
  log "downloading $wheel_pkg==$TF_VERSION from PyPI"
  python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.11 \
    --platform manylinux_2_27_x86_64 -d "$cache" "$wheel_pkg==$TF_VERSION"
fi
# shellcheck disable=SC2086
wheel="$(ls $whl_glob | head -1)"

rm -rf "$dest"
mkdir -p "$dest/site"

# 2. The two libraries and the C API headers tfjs-node's addon includes (~70 files of ~40k).
log "extracting libtensorflow from $(basename "$wheel")"
python3 - "$wheel" "$dest/site" <<'EOF'
import re, sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
keep = [r'^tensorflow/libtensorflow_(cc|framework)\.so\.2$', r'^tensorflow/include/tensorflow/c/',
        r'^tensorflow/include/xla/tsl/c/', r'^tensorflow/include/tsl/platform/ctstring',
        r'^tensorflow/include/tensorflow/core/platform/ctstring']
with zipfile.ZipFile(wheel) as z:
    names = [n for n in z.namelist() if not n.endswith('/') and any(re.search(p, n) for p in keep)]
    for n in names:
        z.extract(n, out)
if not any(n.endswith('libtensorflow_cc.so.2') for n in names):
    sys.exit(f'{wheel}: no tensorflow/libtensorflow_cc.so.2 in this wheel')
EOF

# 2b. GPU: the CUDA 12 libraries of tensorflow[and-cuda], laid out as in site-packages, so that the
# RUNPATH TensorFlow's libraries carry ($ORIGIN/../nvidia/*/lib) finds them.
if [[ $variant == gpu ]]; then
  mapfile -t cuda_reqs < <(python3 - "$wheel" <<'EOF'
import re, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    meta = z.read(next(n for n in z.namelist() if n.endswith('.dist-info/METADATA'))).decode()
for line in meta.splitlines():
    m = re.match(r'Requires-Dist: ([^;]+);\s*extra == "and-cuda"', line)
    if m: print(m.group(1).replace(' ', ''))
EOF
)
  log "installing ${#cuda_reqs[@]} CUDA 12 wheels (${cuda_reqs[*]%%[<>=]*})"
  python3 -m pip install --quiet --no-deps --only-binary=:all: --python-version 3.11 \
    --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    --target "$dest/site" "${cuda_reqs[@]}"
fi
libdir="$dest/site/tensorflow"

# 3. tfjs-node's package (JS + addon sources) from npm, unpacked outside node_modules.
log "unpacking @tensorflow/$js_pkg@$TFJS_VERSION"
unpacked="$dest/unpacked"
mkdir -p "$unpacked"
tarball="$(cd "$dest" && npm pack --silent "@tensorflow/$js_pkg@$TFJS_VERSION")"
tar xzf "$dest/$tarball" -C "$unpacked" --strip-components=1
rm "$dest/$tarball"

# Its runtime dependencies, except @tensorflow/tfjs: that one must resolve to the project's copy (same
# tfjs-core), which Node finds by walking up from .native/ to the project's node_modules.
node -e '
  const fs = require("fs");
  const pkg = JSON.parse(fs.readFileSync(process.argv[1] + "/package.json", "utf8"));
  const deps = Object.fromEntries(Object.entries(pkg.dependencies).filter(([n]) => !n.startsWith("@tensorflow/")));
  fs.writeFileSync(process.argv[2] + "/package.json", JSON.stringify({ name: "retinastream-native", private: true, dependencies: deps }, null, 2));
' "$unpacked" "$dest"
(cd "$dest" && npm install --silent --ignore-scripts --no-audit --no-fund --omit=dev)
mkdir -p "$(dirname "$pkg_dir")"
mv "$unpacked" "$pkg_dir"   # after npm install, which would prune it as extraneous

# 4. Build the addon. binding.gyp expects deps/include and deps/lib/libtensorflow.so; its RUNPATH is set to
# the wheel's library folder itself, so that TensorFlow's own $ORIGIN-relative RUNPATH (GPU: nvidia/*) works.
mkdir -p "$pkg_dir/deps/lib"
ln -sfn "$libdir/include" "$pkg_dir/deps/include"
ln -sf "$libdir/libtensorflow_cc.so.2" "$pkg_dir/deps/lib/libtensorflow.so"
ln -sf "$libdir/libtensorflow_framework.so.2" "$pkg_dir/deps/lib/libtensorflow_framework.so"
sed -i "s|'-Wl,-rpath,\\\\\$\$ORIGIN/../../deps/lib'|'-Wl,-rpath,$libdir'|" "$pkg_dir/binding.gyp"
grep -q -- "-rpath,$libdir" "$pkg_dir/binding.gyp" || { echo "native build: could not set the addon's RUNPATH in binding.gyp" >&2; exit 1; }
gyp="$(dirname "$(command -v npm)")/../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"
[[ -f $gyp ]] || gyp="$(npm root -g)/npm/node_modules/node-gyp/bin/node-gyp.js"
nodedir="$(dirname "$(dirname "$(command -v node)")")"
[[ -f $nodedir/include/node/node_api.h ]] || { echo "native build: Node's headers are not in $nodedir/include/node (install Node's development headers)" >&2; exit 1; }
log "building the addon (node-gyp, Node $(node -v))"
(cd "$pkg_dir" && node "$gyp" rebuild --silent --nodedir="$nodedir" --module_name=tfjs_binding \
  --module_path="$pkg_dir/lib/napi-v8" --napi_build_version=8 >/dev/null)
rm -rf "$pkg_dir/build/Release/obj.target"
# The guard that mutes TensorFlow's start-up notices on stderr while it loads (see stdio_guard.c).
cc -shared -fPIC -O2 -I"$nodedir/include/node" -o "$dest/stdio_guard.node" "$here/stdio_guard.c"

# 5. Smoke test: load it against the project's tfjs-core and run one convolution.
(cd "$root" && RETINASTREAM_NATIVE_DIR="$dest" TF_CPP_MIN_LOG_LEVEL=2 node --import tsx -e '
  const { loadNativeAddon } = await import("./src/backend/nativeAddon.ts");
  const info = loadNativeAddon(process.env.RETINASTREAM_NATIVE_DIR.endsWith("gpu"));
  if (typeof info === "string") { console.error(info); process.exit(1); }
  const tf = await import("@tensorflow/tfjs-core");
  await tf.setBackend("tensorflow");
  const y = tf.conv2d(tf.ones([1, 5, 5, 1]), tf.ones([3, 3, 1, 1]), 1, "same");
  const v = await y.data();
  if (v[12] !== 9) { console.error("conv2d gave " + v[12] + ", expected 9"); process.exit(1); }
  console.log("native: ok, TensorFlow " + info.tfVersion + " at " + info.dir);
')
echo "$want_stamp" > "$stamp"
log "built in ${dest#$root/} ($(du -sh "$dest" | cut -f1))"
