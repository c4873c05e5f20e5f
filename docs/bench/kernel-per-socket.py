#!/usr/bin/env python3
"""Kernel memory per idle TCP connection: slab and sockstat deltas between
5,000 and 18,000 idle authenticated connections to a fanout serve process,
plus the server sockets' own buffer memory (ss -tm, server side only).

    go build -o /tmp/fanout ./cmd/fanout && go test -c -o /tmp/pusher.test ./pusher
    python3 docs/bench/kernel-per-socket.py /tmp/fanout /tmp/pusher.test

The clients are the pusher memory test's (TestHelperIdleClients): HS256
tokens with a sub and a channels grant, one public channel each. Both
ends share the host, so slab figures are per connection, both ends; the
table in BENCHMARKS.md ("Capacity model") says how they split. Needs root
for /proc/slabinfo."""
import os, socket, subprocess, sys, time, re
fanout, testbin = sys.argv[1], sys.argv[2]
CACHES = ["TCP", "sock_inode_cache", "dentry", "filp", "eventpoll_epi", "eventpoll_pwq",
          "tcp_bind_bucket", "tcp_bind2_bucket", "skbuff_head_cache", "kmalloc-32", "kmalloc-64",
          "kmalloc-96", "kmalloc-128", "kmalloc-192", "kmalloc-256", "kmalloc-512", "kmalloc-1k",
          "kmalloc-cg-32", "kmalloc-cg-64", "kmalloc-cg-96", "kmalloc-cg-128", "kmalloc-cg-192",
          "kmalloc-cg-256", "kmalloc-cg-512", "kmalloc-cg-1k", "lsm_file_cache", "pid", "anon_vma"]
def slab():
    out = {}
    for line in open("/proc/slabinfo"):
        f = line.split()
        if f and f[0] in CACHES:
            out[f[0]] = (int(f[1]), int(f[3]))  # active objs, objsize
    return out
def sockstat():
    for line in open("/proc/net/sockstat"):
        if line.startswith("TCP:"):
            f = line.split()
            return dict(zip(f[1::2], map(int, f[2::2])))
def meminfo(key):
    for line in open("/proc/meminfo"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
def server_skmem(port):
    out = subprocess.run(["ss", "-tnmH", "state", "established", f"( sport = :{port} )"], capture_output=True, text=True).stdout
    n, tot = 0, {}
    for m in re.finditer(r"skmem:\(([^)]*)\)", out):
        n += 1
        for kv in m.group(1).split(","):
            k = re.match(r"([a-z]+)(\d+)", kv)
            tot[k.group(1)] = tot.get(k.group(1), 0) + int(k.group(2))
    return n, tot
s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
srv = subprocess.Popen([fanout, "serve", "--addr", f"127.0.0.1:{port}", "--metrics-addr", "", "--auth-mode", "required", "--log-level", "warn"])
for _ in range(100):
    try:
        socket.create_connection(("127.0.0.1", port)).close(); break
    except OSError:
        time.sleep(0.1)
helpers = []
def hold(count, first):
    env = dict(os.environ, FANOUT_IDLE_CLIENTS=f"127.0.0.1:{port} {count} {first} true 0")
    p = subprocess.Popen([testbin, "-test.run=^TestHelperIdleClients$"], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    for line in p.stdout:
        if line.startswith("idle-clients:"):
            print(line.strip(), file=sys.stderr)
            break
    helpers.append(p)
def snap():
    time.sleep(3)
    n, sk = server_skmem(port)
    return dict(slab=slab(), sockstat=sockstat(), slabtotal=meminfo("Slab"), sunreclaim=meminfo("SUnreclaim"),
                fds=len(os.listdir(f"/proc/{srv.pid}/fd")), srvsocks=n, skmem=sk)
try:
    hold(5000, 0); a = snap()
    hold(13000, 5000); b = snap()
finally:
    for p in helpers:
        p.stdin.close(); p.wait()
    srv.terminate(); srv.wait()
conns = b["srvsocks"] - a["srvsocks"]
print(f"server-side established sockets: {a['srvsocks']} -> {b['srvsocks']} ({conns}); server fds {a['fds']} -> {b['fds']}")
print(f"sockstat TCP: {a['sockstat']} -> {b['sockstat']}")
print(f"sockstat TCP mem pages per connection (both ends): {(b['sockstat']['mem']-a['sockstat']['mem'])/conns:.3f}")
print(f"server sockets' skmem (bytes, all server sockets) at 5000: {a['skmem']}  at 18000: {b['skmem']}")
print(f"meminfo Slab delta per connection (both ends): {(b['slabtotal']-a['slabtotal'])/conns:.0f} B; SUnreclaim {(b['sunreclaim']-a['sunreclaim'])/conns:.0f} B")
print("| cache | object size B | objects per connection (both ends) | bytes per connection (both ends) |")
print("|---|---:|---:|---:|")
tot = 0
for c in CACHES:
    if c in a["slab"] and c in b["slab"]:
        d = b["slab"][c][0] - a["slab"][c][0]
        if abs(d) / conns < 0.05:
            continue
        size = b["slab"][c][1]
        tot += d * size
        print(f"| {c} | {size} | {d/conns:.2f} | {d*size/conns:.0f} |")
print(f"| total of these | | | {tot/conns:.0f} |")
