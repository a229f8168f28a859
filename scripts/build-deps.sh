# Sourced by ./demo and ./test: makes sure what the build needs besides the Rust toolchain is
# installed. oxigraph builds RocksDB, whose binding generator (bindgen) loads libclang.
# On Debian/Ubuntu a missing libclang-dev is installed with apt-get (sudo when not root);
# elsewhere the script says what to install.

have_libclang() {
  if [ -n "${LIBCLANG_PATH:-}" ]; then return 0; fi
  if command -v dpkg >/dev/null 2>&1; then
    dpkg -s libclang-dev >/dev/null 2>&1
    return
  fi
  ldconfig -p 2>/dev/null | grep -Eq 'libclang(-[0-9][0-9.]*)?\.so'
}

# Runs a package-manager command as root: directly, or through sudo.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Installs Debian packages quietly, updating the package lists once per run.
apt_install() {
  if [ -z "${HANSE_APT_UPDATED:-}" ]; then
    as_root apt-get update -qq
    HANSE_APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

if ! have_libclang; then
  if command -v apt-get >/dev/null 2>&1; then
    echo "==> installing libclang-dev (RocksDB's build inside oxigraph needs libclang)"
    apt_install libclang-dev
  else
    echo "error: libclang is missing; RocksDB's build (inside oxigraph) needs it." >&2
    echo "Install clang's development library (e.g. 'dnf install clang-devel'," >&2
    echo "'brew install llvm' and set LIBCLANG_PATH), then run this command again." >&2
    exit 1
  fi
fi
