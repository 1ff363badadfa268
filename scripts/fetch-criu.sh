#!/usr/bin/env bash
# CRIU for the snapshot tests and the lent GPU machine: Debian's package from SLLM_CRIU_SUITE
# (default sid) and every library it links, that suite's glibc and loader included, unpacked
# into DEST (default /var/cache/sllm-doctor/criu), with DEST/criu, a wrapper that runs CRIU
# through that loader, so that it also runs where glibc is older (bookworm's 2.36).
# Why sid: on the 6.18 kernels here, bookworm's CRIU 3.17 cannot read the vdso, and trixie's
# 4.1.1 cannot dump a TCP socket (the kernel no longer answers SO_PASSCRED for it); sid's
# 4.2.1 does both (2026-12-02). apt-get fetches the packages
# through a private configuration whose source reuses the URIs of this machine's own Debian
# sources: no mirror host is written here, and nothing is installed.
#   scripts/fetch-criu.sh [DEST]        prints DEST/criu
set -euo pipefail
dest=${1:-${SLLM_CRIU_CACHE:-/var/cache/sllm-doctor/criu}}
if [ -x "$dest/criu" ] && "$dest/criu" --version >/dev/null 2>&1; then echo "$dest/criu"; exit 0; fi
# libnet1 is trixie's name, libnet9 sid's: a name the suite lacks is passed over.
packages="criu libcompel1 libc6 libnftables1 libnl-3-200 libnet1 libnet9 libprotobuf-c1 libbsd0 libmd0 libmnl0
  libnftnl11 libjansson4 libxtables12 libgnutls30t64 libnettle8t64 libhogweed6t64 libp11-kit0 libidn2-0
  libunistring5 libtasn1-6 libgmp10 libffi8 libuuid1"
apt_root=$(mktemp -d /tmp/sllm-criu-apt.XXXXXX)
trap 'rm -rf "$apt_root"' EXIT
mkdir -p "$apt_root"/{lists/partial,cache/archives/partial,etc,debs}
uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
[ -n "$uri" ] || uri=$(awk '$1 == "deb" {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
[ -n "$uri" ] || { echo "fetch-criu: no Debian source URI on this machine to reuse" >&2; exit 1; }
echo "deb [trusted=yes] $uri ${SLLM_CRIU_SUITE:-sid} main" > "$apt_root/etc/sources.list"
cat > "$apt_root/etc/apt.conf" <<CONF
Dir::Etc::SourceList "$apt_root/etc/sources.list";
Dir::Etc::SourceParts "/nonexistent";
Dir::State::Lists "$apt_root/lists";
Dir::Cache "$apt_root/cache";
APT::Sandbox::User "root";
CONF
export APT_CONFIG=$apt_root/etc/apt.conf
apt-get update -qq >/dev/null
for p in $packages; do (cd "$apt_root/debs" && apt-get download -qq "$p" >/dev/null 2>&1) || true; done
ls "$apt_root"/debs/criu_*.deb >/dev/null 2>&1 || { echo "fetch-criu: apt-get could not download criu" >&2; exit 1; }
rm -rf "$dest.tmp" && mkdir -p "$dest.tmp"
for deb in "$apt_root"/debs/*.deb; do dpkg -x "$deb" "$dest.tmp/root"; done
cat > "$dest.tmp/criu" <<'WRAP'
#!/bin/sh
# CRIU through its own suite's loader and libraries (scripts/fetch-criu.sh).
here=$(dirname "$(readlink -f "$0")")
lib=$here/root/usr/lib/x86_64-linux-gnu
exec "$lib/ld-linux-x86-64.so.2" --library-path "$lib:$here/root/lib/x86_64-linux-gnu" "$here/root/usr/sbin/criu" "$@"
WRAP
chmod +x "$dest.tmp/criu"
rm -rf "$dest" && mv "$dest.tmp" "$dest"
"$dest/criu" --version >/dev/null || { echo "fetch-criu: $dest/criu does not run" >&2; exit 1; }
echo "$dest/criu"
