#!/usr/bin/env bash
# A SLURM cluster on this machine, for trying the batch scripts in slurm/ and
# for the tests that submit them. It runs Debian's slurm-wlm and munge daemons
# directly, without systemd, as the user who starts it (root in CI), with
# every file in one state directory.
#
# The cluster has two nodes, so that multi-node jobs can run too: one named
# after this host and one named localhost, each its own slurmd on its own port
# (Debian builds slurmd with multiple-slurmd support). Both names resolve to
# this machine, as a multi-node launch needs, and both report this machine's
# real CPUs and memory, so the two share them.
#
# Usage:
#   scripts/local-slurm.sh start    write the config, start munged, slurmctld
#                                   and the slurmds, wait until all nodes idle
#   scripts/local-slurm.sh stop     cancel any jobs left, stop the daemons by
#                                   their PIDs
#   scripts/local-slurm.sh status   say whether the cluster is up (exit 0) or not
#   scripts/local-slurm.sh env      print the line that points the SLURM
#                                   commands at this cluster:
#                                   eval "$(scripts/local-slurm.sh env)"
#
# Environment:
#   CORRGAN_SLURM_DIR    state directory (default /tmp/corrgan-slurm)
#   CORRGAN_SLURM_PORT   slurmctld port; the slurmds take the next ones
#                        (default 6817)
#   CORRGAN_SLURM_NODES  1 for a one-node cluster (default 2)
#
# `start` is idempotent: when the cluster is already up it only says so.
# Install the packages first with `bash .ci/slurm-setup.sh`.
set -euo pipefail

state_dir=${CORRGAN_SLURM_DIR:-/tmp/corrgan-slurm}
ctld_port=${CORRGAN_SLURM_PORT:-6817}
conf=$state_dir/slurm.conf

# every SLURM command of this script and of its children reads this config
export SLURM_CONF=$conf

log() { echo "local-slurm: $*" >&2; }

# the node names; the second node needs this host's own name to resolve, or
# its jobs could not reach each other by name
node_names() {
    local host
    host=$(hostname -s)
    if [[ ${CORRGAN_SLURM_NODES:-2} == 1 || $host == localhost ]] ||
        ! getent hosts "$host" >/dev/null; then
        echo localhost
    else
        echo "$host" localhost
    fi
}

# true when the PID in the given file names a live process
pid_alive() {
    local pid
    [[ -s $1 ]] || return 1
    pid=$(<"$1")
    kill -0 "$pid" 2>/dev/null
}

# one line per node: its state as sinfo reports it ("idle", "down*", ...)
node_states() {
    timeout 10 sinfo --noheader --Node --format=%T 2>/dev/null || true
}

is_up() {
    local pidfile states
    for pidfile in "$state_dir"/munged.pid "$state_dir"/slurmctld.pid \
        "$state_dir"/slurmd-*.pid; do
        pid_alive "$pidfile" || return 1
    done
    states=$(node_states)
    [[ -n $states ]]
}

write_config() {
    local hardware name port=$ctld_port
    # slurmd -C prints this machine's CPUs, sockets and memory as a NodeName
    # line; keep the hardware and drop the name (and the UpTime line)
    hardware=$(slurmd -C | head -n 1 | sed 's/^NodeName=[^ ]* //')

    cat >"$conf" <<EOF
# Written by scripts/local-slurm.sh; rewritten at every start.
ClusterName=corrgan-local
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmUser=$(id -un)
SlurmdUser=$(id -un)

# munge in the state directory; a short credential lifetime also shortens the
# wait before a requeued job may start again (it is cred_expire seconds)
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$state_dir/munge.socket,cred_expire=10

# %n: each slurmd keeps its own files
StateSaveLocation=$state_dir/ctld
SlurmdSpoolDir=$state_dir/spool-%n
SlurmctldPidFile=$state_dir/slurmctld.pid
SlurmdPidFile=$state_dir/slurmd-%n.pid
SlurmctldLogFile=$state_dir/slurmctld.log
SlurmdLogFile=$state_dir/slurmd-%n.log

# no cgroups, no accounting: a container has neither, and the tests poll
# squeue and scontrol instead of sacct
ProctrackType=proctrack/pgid
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SwitchType=switch/none
MailProg=/bin/true

# look at pending jobs every 2 s (the default 60 s would leave a requeued job
# idle that long after its hold) and at once on submission; forget finished
# jobs after 30 s; let a node that was down come back when its slurmd does
SchedulerType=sched/builtin
SchedulerParameters=sched_interval=2,batch_sched_delay=0
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MinJobAge=30
ReturnToService=2
SlurmdParameters=config_overrides
JobRequeue=1
KillWait=30
InactiveLimit=0
SlurmctldTimeout=30
SlurmdTimeout=60

EOF
    for name in $(node_names); do
        port=$((port + 1))
        echo "NodeName=$name NodeHostname=$(hostname) NodeAddr=127.0.0.1" \
            "Port=$port $hardware State=UNKNOWN" >>"$conf"
    done
    echo "PartitionName=local Nodes=ALL Default=YES MaxTime=INFINITE State=UP" \
        >>"$conf"

    # slurmd reads cgroup.conf next to slurm.conf; the plugins chosen above
    # touch no cgroup, and this says so to anyone reading the folder
    cat >"$state_dir/cgroup.conf" <<EOF
# Written by scripts/local-slurm.sh: cgroups are not used here.
CgroupAutomount=no
ConstrainCores=no
ConstrainRAMSpace=no
EOF
}

start_munge() {
    local key=$state_dir/munge.key
    # a key of our own, kept across restarts so that old credentials stay valid
    if [[ ! -s $key ]]; then
        mungekey --create --keyfile="$key"
    fi
    chmod 600 "$key"
    # --force: munged otherwise refuses a socket below the world-writable /tmp
    munged --force \
        --key-file="$key" \
        --socket="$state_dir/munge.socket" \
        --pid-file="$state_dir/munged.pid" \
        --log-file="$state_dir/munged.log" \
        --seed-file="$state_dir/munged.seed"
}

start() {
    local name states=""
    if is_up; then
        log "already up; SLURM_CONF=$conf"
        return 0
    fi

    # daemons of a half-started cluster would hold the ports
    stop_daemons
    mkdir -p "$state_dir/ctld"
    # munged wants every folder above its socket searchable by all
    chmod 755 "$state_dir"
    write_config
    start_munge

    # -c: an empty job table, so that jobs of an earlier cluster stay gone;
    # the daemons fork and write their PID files
    slurmctld -c -f "$conf"
    for name in $(node_names); do
        mkdir -p "$state_dir/spool-$name"
        slurmd -f "$conf" -N "$name"
    done

    # the nodes register within seconds and turn idle
    for _ in $(seq 60); do
        states=$(node_states)
        if [[ -n $states ]] && ! grep -qv '^idle$' <<<"$states"; then
            log "up: $(wc -l <<<"$states") node(s) idle; SLURM_CONF=$conf"
            return 0
        fi
        sleep 1
    done
    log "the nodes did not turn idle within 60 s (states: ${states:-none})"
    tail -n 20 "$state_dir"/*.log >&2 || true
    return 1
}

# stop each daemon named by a PID file: TERM, then KILL after 10 s
stop_daemons() {
    local pidfile pid
    for pidfile in "$state_dir"/slurmd-*.pid "$state_dir"/slurmctld.pid \
        "$state_dir"/munged.pid; do
        [[ -e $pidfile ]] || continue
        if pid_alive "$pidfile"; then
            pid=$(<"$pidfile")
            kill "$pid" 2>/dev/null || true
            for _ in $(seq 20); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.5
            done
            if kill -0 "$pid" 2>/dev/null; then
                log "$(basename "$pidfile" .pid) ($pid) ignored TERM; killing it"
                kill -KILL "$pid" 2>/dev/null || true
            fi
        fi
        rm -f "$pidfile"
    done
}

# cancel what still runs on this private cluster, so that no job's processes
# outlive their slurmd; KillWait (30 s) bounds how long a job may take
cancel_jobs() {
    local left=""
    pid_alive "$state_dir/slurmctld.pid" || return 0
    [[ -n $(timeout 10 squeue --noheader 2>/dev/null) ]] || return 0
    log "cancelling the jobs still queued or running"
    timeout 10 scancel --user="$(id -un)" || true
    for _ in $(seq 40); do
        left=$(timeout 10 squeue --noheader 2>/dev/null || true)
        [[ -z $left ]] && return 0
        sleep 1
    done
    log "jobs still there after 40 s: $left"
}

case ${1:-} in
start) start ;;
stop)
    cancel_jobs
    stop_daemons
    log "stopped"
    ;;
status)
    if is_up; then
        echo "up; SLURM_CONF=$conf"
        node_states
    else
        echo "down"
        exit 1
    fi
    ;;
env) echo "export SLURM_CONF=$conf" ;;
*)
    echo "usage: $0 start|stop|status|env" >&2
    exit 2
    ;;
esac
