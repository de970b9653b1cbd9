#!/usr/bin/env bash
# Installs the Debian packages Hyperkeep's build, lab and tests need, only those missing.
set -euo pipefail
packages=(
  qemu-system-x86 qemu-utils libnbd-bin nbdkit
  libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients
  chromium e2fsprogs xfsprogs dosfstools mtools ntfs-3g fdisk attr fuse3 lvm2 procps
  golang-go golang-github-vmware-govmomi-dev libhivex-bin unzip
  linux-image-cloud-amd64 busybox-static qemu-guest-agent lz4
  "$@"
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing Debian packages: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
