#!/usr/bin/env bash
# Train corrgan on one SLURM node, on every GPU it has (or its CPU), and come
# back by itself after a preemption or at the time limit.
#
# Submit from the folder that should hold runs/ and logs/ (the repository,
# usually). SLURM opens the log before this script runs, so its folder must
# exist first:
#
#   mkdir -p logs
#   sbatch slurm/train.sh                          # the built-in wine table
#   DATA=table.parquet sbatch slurm/train.sh --target label --epochs 300
#
# Arguments after the script name go to `corrgan train` unchanged.
# Environment, read when the job starts (sbatch passes the submitting shell's):
#   DATA               table to train on; unset means the built-in wine table
#   RUN_DIR            run directory; default runs/slurm-<job id>, the same
#                      for every restart of the job, so a restart resumes it
#   CORRGAN_VENV       virtual environment to activate first
#   CORRGAN_IMAGE      Apptainer image to train in (apptainer exec --nv)
#   CORRGAN_CPU_PROCS  training processes on a node without GPUs (default 1)
#
# Preemption and time limits: SLURM sends USR1 to this script 120 s before
# the end (--signal below; a preemption can be announced the same way with
# scancel --batch --signal=USR1). The script then asks the trainer to stop,
# the trainer writes a checkpoint and exits, and the script requeues the job;
# the new start finds the checkpoint through --resume and carries on.
#
#SBATCH --job-name=corrgan-train      # name in squeue and in the log's name
#SBATCH --output=logs/%x-%j.out       # log, relative to the submit folder
#SBATCH --open-mode=append            # a restart adds to the log, not replaces it
#SBATCH --nodes=1                     # one node; see train-multinode.sh for more
#SBATCH --ntasks=1                    # one launcher, which starts the workers
#SBATCH --exclusive                   # the whole node: all its GPUs and CPUs
#SBATCH --mem=0                       # and all its memory
#SBATCH --time=04:00:00               # wall-clock limit of one start
#SBATCH --signal=B:USR1@120           # USR1 to this script 120 s before the end
#SBATCH --requeue                     # allow the job to be put back in the queue
##SBATCH --partition=CHANGE_ME        # your cluster's partition: remove one '#'
##SBATCH --account=CHANGE_ME          # your project account: remove one '#'
set -euo pipefail

log() { echo "train.sh: $*"; }

job_id=${SLURM_JOB_ID:?this script is meant for sbatch}
restarts=${SLURM_RESTART_COUNT:-0}
run_dir=${RUN_DIR:-runs/slurm-$job_id}
log "job $job_id, start $((restarts + 1)), on $(hostname), in $PWD"
log "run directory $run_dir"

# where corrgan comes from: an Apptainer image, a venv, or the PATH as it is
runtime=()
if [[ -n ${CORRGAN_IMAGE:-} ]]; then
    runtime=(apptainer exec --nv "$CORRGAN_IMAGE")
    log "running in $CORRGAN_IMAGE"
elif [[ -n ${CORRGAN_VENV:-} ]]; then
    # shellcheck source=/dev/null
    source "$CORRGAN_VENV/bin/activate"
fi

# the GPUs this job may use, as torch inside the runtime sees them (it
# honours CUDA_VISIBLE_DEVICES, which SLURM sets for the allocation); a node
# without the GPU driver's tools has none, and is spared the torch import
gpus=0
if command -v nvidia-smi >/dev/null || command -v rocm-smi >/dev/null; then
    gpus=$("${runtime[@]}" python -c 'import torch; print(torch.cuda.device_count())')
fi
cpu_procs=${CORRGAN_CPU_PROCS:-1}

# --resume always: it continues from the latest checkpoint in the run
# directory and starts afresh when there is none, so every start is the same
train_args=(train --out "$run_dir" --resume)
if [[ -n ${DATA:-} ]]; then
    train_args+=(--data "$DATA")
fi
train_args+=("$@")

# several processes go through accelerate launch (torchrun underneath: on
# SIGTERM it passes the signal to its workers and waits for them); a single
# process runs directly, since accelerate's one-process launcher kills its
# child 5 s after a SIGTERM, which may be too soon for a checkpoint
multi=(accelerate launch --multi_gpu --num_machines 1 --mixed_precision no
    --dynamo_backend no --main_process_port 0)
if ((gpus > 1)); then
    launcher=("${multi[@]}" --num_processes "$gpus" -m corrgan)
elif ((gpus == 0 && cpu_procs > 1)); then
    export ACCELERATE_USE_CPU=true
    launcher=("${multi[@]}" --num_processes "$cpu_procs" -m corrgan)
else
    launcher=(python -m corrgan)
fi
log "$gpus GPU(s); launching: ${launcher[*]} ${train_args[*]}"

# on USR1, pass SIGTERM to the launcher, never USR1: the launcher would die
# of it and leave its workers running; one signal is enough
preempted=0
launcher_pid=""
# shellcheck disable=SC2317 # run by the trap, which shellcheck cannot see
on_usr1() {
    ((preempted)) && return
    preempted=1
    log "USR1: asking the trainer to checkpoint and stop"
    if [[ -n $launcher_pid ]]; then
        kill -TERM "$launcher_pid" 2>/dev/null || true
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

# a warning that came before the launch: nothing to save, just come back
if ((preempted)); then
    requeue
fi

# in the background, so that the trap can run while training goes on
"${runtime[@]}" "${launcher[@]}" "${train_args[@]}" &
launcher_pid=$!

# a trapped signal ends `wait` early (status > 128) while the launcher still
# runs, so wait again until it has really exited
status=0
while :; do
    wait "$launcher_pid" && status=0 || status=$?
    kill -0 "$launcher_pid" 2>/dev/null || break
done
log "launcher exited with status $status"

# a run that finished just as the warning came needs no second start
if ((preempted && status != 0)); then
    requeue
fi
exit "$status"
