#!/bin/sh
# sysroot.sh ARCH DIR PACKAGE... - Debian's packages of ARCH (say armhf)
# unpacked under DIR (apt-get download, dpkg-deb -x): the TLS engines'
# headers and static archives for a cross build (make TARGET=armhf TLS=...).
# Nothing is installed, and the machine's apt configuration is not changed:
# the package lists of ARCH are kept in DIR/.apt (libwolfssl-dev has no
# Multi-Arch, so it could not be installed beside the host's anyway).
# Done again only when the list of packages changes (DIR/.packages).
arch=$1 dir=$2
shift 2
[ -n "$arch" ] && [ -n "$dir" ] && [ $# -gt 0 ] || { echo "usage: sysroot.sh ARCH DIR PACKAGE..." >&2; exit 2; }
[ "$(cat "$dir/.packages" 2> /dev/null)" = "$*" ] && exit 0
command -v apt-get > /dev/null || { echo "sysroot: no apt-get here: $* for $arch not unpacked" >&2; exit 1; }
mkdir -p "$dir/.apt/lists/partial" "$dir/.apt/cache/archives/partial" "$dir/.apt/debs"
apt=$(cd "$dir/.apt" && pwd)
# (APT::Sandbox::User: the download goes to a folder of ours, not apt's)
aptget() {
    apt-get -qq -o Dir::State::Lists="$apt/lists" -o Dir::Cache="$apt/cache" \
        -o Dir::State::status=/dev/null -o APT::Architecture="$arch" -o APT::Architectures::="$arch" \
        -o APT::Sandbox::User=root "$@"
}
aptget update || { echo "sysroot: apt-get update for $arch failed" >&2; exit 1; }
rm -f "$apt/debs/"*.deb
(cd "$apt/debs" && aptget download "$@") || { echo "sysroot: apt-get download $* ($arch) failed" >&2; exit 1; }
for deb in "$apt/debs/"*.deb; do
    dpkg-deb -x "$deb" "$dir" || exit 1
done
echo "$*" > "$dir/.packages"
echo "sysroot: $* ($arch) in $dir"
