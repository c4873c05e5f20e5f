#!/usr/bin/env bash
# Runs tlsconn's kernel TLS tests (TestKernelTLS*) and the server's TLS
# tests (TestTLS*, through kernel TLS by default) on a real Linux kernel
# that has kernel TLS: Debian's cloud kernel (CONFIG_TLS=m) booted in
# qemu under software emulation (no KVM needed), with an initramfs of
# busybox, the kernel's tls and crypto modules and a static test binary.
# The verdict is read from the serial console.
#
#   test/ktls-vm/run.sh            # make ktls-vm
#   KTLS_VM_CPU=qemu64 ...         # a guest CPU without AES-NI: crypto/tls
#                                  # then negotiates ChaCha20-Poly1305
#   KTLS_VM_KERNEL_PKG=linux-image-6.1.0-50-cloud-amd64-unsigned ...
#   KTLS_VM_MEM=500 ...            # only TestKernelTLSIdleMemory, 500 conns
#
# Needs qemu-system-x86 and busybox-static (installed here with apt-get
# when run as root) and apt access to Debian's linux-image packages. Work
# files go to out/ktls-vm (the kernel package is kept between runs).
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=out/ktls-vm
CPU=${KTLS_VM_CPU:-max}
BOOT_TIMEOUT=${KTLS_VM_TIMEOUT:-300}
mkdir -p "$OUT"

need=""
command -v qemu-system-x86_64 >/dev/null || need="$need qemu-system-x86"
dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed' || need="$need busybox-static"
command -v depmod >/dev/null || need="$need kmod"
if [ -n "$need" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "ktls-vm: missing$need: apt-get install -y$need" >&2
    exit 2
  fi
  DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq --no-install-recommends $need
fi
busybox_bin=/bin/busybox # busybox-static's

# The newest Debian cloud kernel apt knows of (small: virtio and serial
# built in; tls and the AEADs as modules).
pkg=${KTLS_VM_KERNEL_PKG:-$(apt-cache search --names-only '^linux-image-[0-9.]+-[0-9]+-cloud-amd64-unsigned$' |
  awk '{print $1}' | sort -V | tail -1)}
if [ -z "$pkg" ]; then
  echo "ktls-vm: apt-cache finds no linux-image-*-cloud-amd64-unsigned (apt-get update?)" >&2
  exit 2
fi
if ! ls "$OUT/$pkg"_*.deb >/dev/null 2>&1; then
  (cd "$OUT" && timeout 600 apt-get download "$pkg")
fi
rm -rf "$OUT/kernel" "$OUT/root"
dpkg-deb -x "$OUT/$pkg"_*.deb "$OUT/kernel"
kver=$(ls "$OUT/kernel/lib/modules")
vmlinuz="$OUT/kernel/boot/vmlinuz-$kver"

# initramfs: busybox, the modules kernel TLS and its ciphers need (with
# modules.dep and aliases, so the kernel's own request_module finds
# them), the test binary.
root="$OUT/root"
mkdir -p "$root"/{bin,sbin,proc,sys,dev,tmp,lib/modules/"$kver"/kernel}
cp "$busybox_bin" "$root/bin/busybox"
for a in sh mount ip modprobe insmod poweroff cat echo sleep uname; do ln -s busybox "$root/bin/$a"; done
ln -s ../bin/busybox "$root/sbin/modprobe"
src="$OUT/kernel/lib/modules/$kver"
for d in crypto arch/x86/crypto lib net/tls; do
  mkdir -p "$root/lib/modules/$kver/kernel/$d"
  cp -r "$src/kernel/$d/." "$root/lib/modules/$kver/kernel/$d/"
done
cp "$src"/modules.{order,builtin,builtin.modinfo} "$root/lib/modules/$kver/" 2>/dev/null || true
depmod -b "$root" "$kver"

CGO_ENABLED=0 timeout 600 go test -c -o "$root/tlsconn.test" ./tlsconn
CGO_ENABLED=0 timeout 600 go test -c -o "$root/server.test" ./server

{ echo '#!/bin/sh'; echo "KTLS_VM_MEM='${KTLS_VM_MEM:-}'"; } >"$root/init"
cat >>"$root/init" <<'EOF'
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
ip link set lo up
for m in tls gcm ghash-generic aesni-intel chacha20poly1305 chacha-x86_64 poly1305-x86_64; do
  modprobe "$m" 2>/dev/null
done
echo "ktls-vm: kernel $(uname -r), cpu flags aes: $(grep -c -w aes /proc/cpuinfo)"
cd /tmp
export HOME=/tmp TMPDIR=/tmp FANOUT_KTLS_REQUIRE=1
if [ -n "${KTLS_VM_MEM:-}" ]; then
  FANOUT_KTLS_MEM=$KTLS_VM_MEM /tlsconn.test -test.run 'TestKernelTLSIdleMemory' -test.v -test.timeout 500s
  echo "KTLS-VM-RESULT: $?"
  poweroff -f
fi
/tlsconn.test -test.run 'TestKernelTLS|TestCryptoInfoLayout|TestRecordTypeCmsg' -test.v -test.count=1 -test.timeout 120s
r1=$?
# the server's TLS tests, now through the kernel (server.tls.ktls auto)
/server.test -test.run 'TestTLS' -test.skip 'TestTLSBadInput' -test.v -test.count=1 -test.timeout 120s
r2=$?
echo "KTLS-VM-RESULT: $((r1 + r2))"
cat /proc/net/tls_stat
poweroff -f
EOF
chmod +x "$root/init"
(cd "$root" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1) >"$OUT/initrd.gz"

log="$OUT/console.log"
echo "ktls-vm: booting $pkg ($kver) in qemu (TCG, -cpu $CPU); console in $log"
timeout "$BOOT_TIMEOUT" qemu-system-x86_64 -machine accel=tcg -cpu "$CPU" -smp 2 -m 1G \
  -nographic -no-reboot -kernel "$vmlinuz" -initrd "$OUT/initrd.gz" \
  -append 'console=ttyS0 panic=-1 quiet' </dev/null >"$log" 2>&1 || true
grep -E '^(=== RUN|--- |    |ktls-vm:|KTLS-VM-RESULT|PASS|FAIL|ok )|Tls' "$log" | grep -v '^=== RUN' || true
if grep -q '^KTLS-VM-RESULT: 0' "$log"; then
  echo "ktls-vm: PASS on $kver (-cpu $CPU)"
  exit 0
fi
echo "ktls-vm: FAIL (see $log)" >&2
exit 1
