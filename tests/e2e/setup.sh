#!/usr/bin/env bash
# Prepare this machine for the e2e tests: a Docker engine that answers, and the
# Dockerfile's base image in it. Idempotent and quick when already done.
#
#   tests/e2e/setup.sh          set up (as root on Debian; CI runs it on a clean machine)
#   tests/e2e/setup.sh --stop   stop the dockerd that this script started (if any)
#
# What these machines allow (checked on Debian 12 with no internet but the
# package registries):
# - No engine runs and nothing can be pulled from Docker Hub. Debian's
#   docker.io (20.10) runs as `dockerd --iptables=false --ip6tables=false
#   --bridge=none --storage-driver=vfs` (no overlayfs inside this sandbox, no
#   NAT). The newer docker CLI some images ship talks to it by negotiating down.
# - With --bridge=none a container or a `docker build` RUN step has no network
#   unless given `--network host`. That is what GitHub's runner semantics need
#   anyway for a loopback emulator, and `docker build --network host` lets the
#   Dockerfile's `pip install` reach PyPI through the host.
# - act builds the action's image through the API with the legacy builder and
#   no network option; its RUN steps then hit the layer cache that a
#   `docker build --network host` of the same Dockerfile left (the tests do that
#   first), so act needs no network either.
# - The base image is made from Debian's packages with debootstrap, from the
#   mirror apt uses, then `docker import`ed under the Dockerfile's FROM name.
#   Where the real image can be pulled, it is used instead.
#
# Environment:
#   E2E_CACHE_DIR    where the stand-in rootfs tarball and the dockerd log live
#                    (default /var/cache/sample-exchange-e2e; outside the repo)
#   DOCKERD_PIDFILE  written only when this script starts dockerd; --stop reads it
#                    (default $E2E_CACHE_DIR/dockerd.pid)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${E2E_CACHE_DIR:-/var/cache/sample-exchange-e2e}
pidfile=${DOCKERD_PIDFILE:-$cache/dockerd.pid}
log() { printf 'e2e-setup: %s\n' "$*" >&2; }

engine_answers() { timeout 20 docker info >/dev/null 2>&1; }

stop_dockerd() {
    [[ -f $pidfile ]] || { log "no $pidfile: nothing to stop"; return 0; }
    local pid
    pid=$(cat "$pidfile")
    # Only a dockerd that this script started: never a broad kill by name.
    if [[ -r /proc/$pid/comm && $(cat "/proc/$pid/comm") == dockerd ]]; then
        log "stopping dockerd (pid $pid)"
        kill -TERM "$pid"
        for _ in $(seq 1 60); do
            [[ -d /proc/$pid ]] || break
            sleep 0.5
        done
        if [[ -d /proc/$pid ]]; then
            log "dockerd $pid did not stop in 30 s; killing it"
            kill -KILL "$pid" || true
        fi
    fi
    rm -f "$pidfile"
}

if [[ ${1:-} == --stop ]]; then
    stop_dockerd
    exit 0
fi

mkdir -p "$cache"
start=$SECONDS

# --- packages -----------------------------------------------------------------
apt_updated=0
apt_install() {
    if [[ $(id -u) != 0 ]]; then
        log "missing $*: run this script as root, or install them yourself"
        exit 1
    fi
    if [[ $apt_updated == 0 ]]; then
        apt-get update -qq
        apt_updated=1
    fi
    log "installing $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# --- engine -------------------------------------------------------------------
if ! command -v docker >/dev/null || ! engine_answers; then
    if ! command -v dockerd >/dev/null || ! command -v docker >/dev/null; then
        apt_install docker.io
    fi
fi

if ! engine_answers; then
    if [[ -f $pidfile && -r /proc/$(cat "$pidfile")/comm ]] \
        && [[ $(cat "/proc/$(cat "$pidfile")/comm") == dockerd ]]; then
        log "dockerd $(cat "$pidfile") from an earlier run is starting; waiting for it"
    else
        log "starting dockerd (log: $cache/dockerd.log)"
        # setsid: its own session, so that the caller's job control or a
        # Ctrl-C in the terminal does not take it down mid-run.
        setsid dockerd --iptables=false --ip6tables=false --bridge=none \
            --storage-driver=vfs >"$cache/dockerd.log" 2>&1 </dev/null &
        echo $! >"$pidfile"
    fi
    for _ in $(seq 1 120); do
        engine_answers && break
        if ! [[ -d /proc/$(cat "$pidfile") ]]; then
            log "dockerd exited; last lines of its log:"
            tail -n 20 "$cache/dockerd.log" >&2
            rm -f "$pidfile"
            exit 1
        fi
        sleep 0.5
    done
    engine_answers || { log "dockerd did not answer within 60 s"; exit 1; }
fi
log "engine: $(docker version --format 'server {{.Server.Version}}, client {{.Client.Version}}')"

# --- base image ---------------------------------------------------------------
base=$(awk 'toupper($1) == "FROM" { print $2; exit }' "$repo/Dockerfile")
[[ -n $base ]] || { log "no FROM line in $repo/Dockerfile"; exit 1; }

if docker image inspect "$base" >/dev/null 2>&1; then
    log "base image $base is present"
elif timeout 120 docker pull -q "$base" >/dev/null 2>&1; then
    log "pulled $base"
else
    # No registry: make a stand-in from Debian's packages. The official image
    # is Debian with CPython in /usr/local; here Debian's own python3 is used,
    # made to behave alike: `python`/`pip` on PATH, `pip install` allowed.
    codename=$(. /etc/os-release && echo "${VERSION_CODENAME:?}")
    tarball=$cache/${base//[:\/]/_}-standin-$codename.tar
    if [[ ! -s $tarball ]]; then
        command -v debootstrap >/dev/null || apt_install debootstrap
        # The mirror apt is configured with, for the release suite itself
        # (deb822 .sources files and one-line .list files both).
        mirror=$(python3 - "$codename" <<'EOF'
import glob, sys
codename = sys.argv[1]
for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
    for block in open(path).read().split("\n\n"):
        fields = {}
        for line in block.splitlines():
            if ":" in line and not line.startswith(("#", " ")):
                key, value = line.split(":", 1)
                fields[key.strip().lower()] = value.split()
        if "deb" in fields.get("types", []) and codename in fields.get("suites", []):
            print(fields["uris"][0]); sys.exit()
for path in ["/etc/apt/sources.list", *sorted(glob.glob("/etc/apt/sources.list.d/*.list"))]:
    try:
        lines = open(path).read().splitlines()
    except OSError:
        continue
    for line in lines:
        words = [w for w in line.split("#")[0].split() if not w.startswith("[")]
        if len(words) >= 3 and words[0] == "deb" and words[2] == codename:
            print(words[1]); sys.exit()
sys.exit("no apt source for " + codename)
EOF
)
        log "building a stand-in for $base from $mirror ($codename) with debootstrap"
        rootfs=$cache/rootfs.tmp
        rm -rf "$rootfs"
        debootstrap --variant=minbase --include=python3,python3-pip,ca-certificates \
            "$codename" "$rootfs" "$mirror" >"$cache/debootstrap.log" 2>&1 || {
            log "debootstrap failed; last lines of $cache/debootstrap.log:"
            tail -n 20 "$cache/debootstrap.log" >&2
            exit 1
        }
        ln -sf /usr/bin/python3 "$rootfs/usr/local/bin/python"
        ln -sf /usr/bin/pip3 "$rootfs/usr/local/bin/pip"
        # PEP 668 marker: Debian refuses `pip install` outside a venv; the
        # official image has none.
        rm -f "$rootfs"/usr/lib/python3*/EXTERNALLY-MANAGED
        # Builds reach PyPI through the host's network (`--network host`). Where
        # that network re-signs TLS with a local CA (it does here: pip fails
        # with "self-signed certificate in certificate chain" otherwise), the
        # stand-in trusts the CAs the host trusts beyond Debian's set.
        python3 - "/etc/ssl/certs/ca-certificates.crt" \
            "$rootfs/etc/ssl/certs/ca-certificates.crt" \
            "$rootfs/usr/local/share/ca-certificates" <<'EOF'
import re, sys
pem = re.compile(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", re.S)
host, image, outdir = sys.argv[1:]
known = set(pem.findall(open(image).read()))
extra = [c for c in pem.findall(open(host).read()) if c not in known]
for n, cert in enumerate(extra):
    with open(f"{outdir}/host-extra-{n}.crt", "w") as f:
        f.write(cert + "\n")
print(f"e2e-setup: {len(extra)} CA certificate(s) of the host added", file=sys.stderr)
EOF
        chroot "$rootfs" update-ca-certificates >>"$cache/debootstrap.log" 2>&1
        rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
        tar -C "$rootfs" --numeric-owner -cf "$tarball.tmp" .
        mv "$tarball.tmp" "$tarball"
        rm -rf "$rootfs"
    fi
    log "importing $tarball as $base"
    docker import \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV LANG=C.UTF-8' \
        --change 'CMD ["python3"]' \
        "$tarball" "$base" >/dev/null
fi
# The stand-in must behave like the real image where the Dockerfile relies on it.
docker run --rm --network none "$base" sh -c 'python --version && pip --version' >&2
log "ready in $((SECONDS - start)) s"
