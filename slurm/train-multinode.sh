#!/usr/bin/env bash
# Train corrgan across several SLURM nodes: one accelerate launcher per node,
# started by srun, each starting one worker per GPU of its node (or
# CORRGAN_CPU_PROCS workers on nodes without GPUs). Preemption and time limits
# are handled as in train.sh: checkpoint, requeue, resume.
#
#   mkdir -p logs                       # SLURM opens the log before the start
#   sbatch slurm/train-multinode.sh     # two nodes, the built-in wine table
#   sbatch --nodes=4 slurm/train-multinode.sh --epochs 500
#
# Arguments after the script name go to `corrgan train` unchanged; the
# environment variables are those of train.sh (DATA, RUN_DIR, CORRGAN_VENV,
# CORRGAN_IMAGE, CORRGAN_CPU_PROCS), plus MAIN_PORT for the rendezvous port.
#
# NOTE: every node is taken to have as many GPUs as the first one; accelerate
# needs the total number of processes up front.
#
#SBATCH --job-name=corrgan-train-multinode  # name in squeue and in the log's name
#SBATCH --output=logs/%x-%j.out       # log, relative to the submit folder
#SBATCH --open-mode=append            # a restart adds to the log, not replaces it
#SBATCH --nodes=2                     # default node count; sbatch --nodes=K overrides
#SBATCH --ntasks-per-node=1           # one launcher per node
#SBATCH --exclusive                   # whole nodes: all their GPUs and CPUs
#SBATCH --mem=0                       # and all their memory
#SBATCH --time=04:00:00               # wall-clock limit of one start
#SBATCH --signal=B:USR1@120           # USR1 to this script 120 s before the end
#SBATCH --requeue                     # allow the job to be put back in the queue
##SBATCH --partition=CHANGE_ME        # your cluster's partition: remove one '#'
##SBATCH --account=CHANGE_ME          # your project account: remove one '#'
set -euo pipefail

log() { echo "train-multinode.sh: $*"; }

job_id=${SLURM_JOB_ID:?this script is meant for sbatch}
restarts=${SLURM_RESTART_COUNT:-0}
run_dir=${RUN_DIR:-runs/slurm-$job_id}
log "job $job_id, start $((restarts + 1)), nodes $SLURM_JOB_NODELIST, in $PWD"
log "run directory $run_dir"

# where corrgan comes from: an Apptainer image, a venv, or the PATH as it is
# (srun passes the environment, the venv's PATH included, to every node)
runtime=()
if [[ -n ${CORRGAN_IMAGE:-} ]]; then
    runtime=(apptainer exec --nv "$CORRGAN_IMAGE")
    log "running in $CORRGAN_IMAGE"
elif [[ -n ${CORRGAN_VENV:-} ]]; then
    # shellcheck source=/dev/null
    source "$CORRGAN_VENV/bin/activate"
fi

# the rendezvous: rank 0 listens on the first node, on a port derived from the
# job id, below Linux's ephemeral range (32768 up) where outgoing connections
# take theirs, and the same for every restart of the job
main_host=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)
main_port=${MAIN_PORT:-$((15000 + job_id % 15000))}

# processes per node: the GPUs torch sees on this (the first) node, or CPU
# processes when there are none; a node without the GPU driver's tools has
# none, and is spared the torch import
gpus=0
if command -v nvidia-smi >/dev/null || command -v rocm-smi >/dev/null; then
    gpus=$("${runtime[@]}" python -c 'import torch; print(torch.cuda.device_count())')
fi
if ((gpus > 0)); then
    per_node=$gpus
else
    per_node=${CORRGAN_CPU_PROCS:-1}
    export ACCELERATE_USE_CPU=true
fi
num_processes=$((per_node * SLURM_NNODES))

launcher=(accelerate launch --multi_gpu --num_machines "$SLURM_NNODES"
    --num_processes "$num_processes" --main_process_ip "$main_host"
    --main_process_port "$main_port" --mixed_precision no --dynamo_backend no)
train_args=(train --out "$run_dir" --resume)
if [[ -n ${DATA:-} ]]; then
    train_args+=(--data "$DATA")
fi
train_args+=("$@")
log "$SLURM_NNODES node(s) x $per_node process(es), main $main_host:$main_port"
log "launching: ${launcher[*]} --machine_rank <node> -m corrgan ${train_args[*]}"

# on USR1, SIGTERM to the launcher on every node, which passes it to its
# workers. Not to srun: srun answers SIGTERM by killing its tasks outright,
# and the workers (in sessions of their own) would outlive their launcher.
# scancel without --batch signals every step of the job but this script's.
preempted=0
srun_pid=""
# shellcheck disable=SC2317 # run by the trap, which shellcheck cannot see
on_usr1() {
    ((preempted)) && return
    preempted=1
    log "USR1: asking the trainers to checkpoint and stop"
    if [[ -n $srun_pid ]]; then
        scancel --signal=TERM "$job_id" || true
    fi
}
trap on_usr1 USR1

requeue() {
    log "requeueing job $job_id"
    # this kills the batch script too, so it comes only once training has
    # stopped and saved
    scontrol requeue "$job_id" || {
        log "could not requeue; resubmit with RUN_DIR=$run_dir to go on"
        exit 75
    }
    exit 0
}

if ((preempted)); then
    requeue
fi

# one task per node; the node's rank is read inside the task, on its node,
# and goes among the launcher's options, before "-m corrgan": the first
# argument says how many words of the command are the launcher's
# shellcheck disable=SC2016 # expanded by the task's shell, not this one
srun bash -c '
    launcher_words=$1
    shift
    exec "${@:1:launcher_words}" --machine_rank "$SLURM_NODEID" \
        "${@:launcher_words + 1}"
' bash $((${#runtime[@]} + ${#launcher[@]})) \
    "${runtime[@]}" "${launcher[@]}" -m corrgan "${train_args[@]}" &
srun_pid=$!

# a trapped signal ends `wait` early while srun still runs: wait again
status=0
while :; do
    wait "$srun_pid" && status=0 || status=$?
    kill -0 "$srun_pid" 2>/dev/null || break
done
log "srun exited with status $status"

if ((preempted && status != 0)); then
    requeue
fi
exit "$status"
