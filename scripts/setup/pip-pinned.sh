# Sourced by the setup scripts that install Python packages (pycocotools.sh, tracking-reference.sh).
# pip_install_pinned PYTHON PKG==VERSION...: prebuilt wheels only (no compiler). Debian's system python refuses pip
# installs (PEP 668, "externally-managed-environment"); there the install is retried with
# --break-system-packages, since the machines that run these scripts are throwaway CI and development machines.
pip_install_pinned() {
  local py="$1" out
  shift
  if ! out=$("$py" -m pip install --disable-pip-version-check --no-input --only-binary=:all: "$@" 2>&1); then
    echo "$out" | tail -5
    echo "$out" | grep -q externally-managed-environment || return 1
    "$py" -m pip install --disable-pip-version-check --no-input --only-binary=:all: --break-system-packages "$@"
  fi
}
