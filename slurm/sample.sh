#!/usr/bin/env bash
# Draw a synthetic table from a trained run as a SLURM array job: each task
# writes one shard, OUT_DIR/part-<task id, 5 digits>.parquet, with its own
# seed (SEED + task id), so the shards differ and a task that runs again
# writes the same shard again. The folder reads back as one table, e.g.
# pandas.read_parquet(OUT_DIR) or pyarrow.dataset.dataset(OUT_DIR).
#
#   mkdir -p logs                       # SLURM opens the log before the start
#   MODEL=runs/slurm-1234 sbatch slurm/sample.sh
#   MODEL=runs/slurm-1234 ROWS=1000000 sbatch --array=0-99 slurm/sample.sh
#
# Environment, read when each task starts:
#   MODEL          run directory of a finished training run (required)
#   ROWS           rows per shard (default 10000)
#   SEED           base seed; task i samples with SEED + i (default 0)
#   OUT_DIR        folder for the shards (default samples/slurm-<array job id>)
#   CORRGAN_VENV   virtual environment to activate first
#   CORRGAN_IMAGE  Apptainer image to sample in (apptainer exec --nv)
#
#SBATCH --job-name=corrgan-sample     # name in squeue and in the logs' names
#SBATCH --output=logs/%x-%A_%a.out    # one log per task: array job id, task id
#SBATCH --array=0-1                   # task ids = shard numbers; --array overrides
#SBATCH --ntasks=1                    # one sampler per task
#SBATCH --cpus-per-task=1             # raise for large shards
#SBATCH --time=01:00:00               # wall-clock limit of one task
#SBATCH --requeue                     # shards are written whole, so a rerun is safe
##SBATCH --partition=CHANGE_ME        # your cluster's partition: remove one '#'
##SBATCH --account=CHANGE_ME          # your project account: remove one '#'
set -euo pipefail

log() { echo "sample.sh: $*"; }

model=${MODEL:?set MODEL to the run directory of a trained model}
task=${SLURM_ARRAY_TASK_ID:?this script is meant for sbatch --array}
array_job=${SLURM_ARRAY_JOB_ID:?this script is meant for sbatch --array}
rows=${ROWS:-10000}
seed=$((${SEED:-0} + task))
out_dir=${OUT_DIR:-samples/slurm-$array_job}
shard=$(printf '%s/part-%05d.parquet' "$out_dir" "$task")

# where corrgan comes from: an Apptainer image, a venv, or the PATH as it is
runtime=()
if [[ -n ${CORRGAN_IMAGE:-} ]]; then
    runtime=(apptainer exec --nv "$CORRGAN_IMAGE")
    log "running in $CORRGAN_IMAGE"
elif [[ -n ${CORRGAN_VENV:-} ]]; then
    # shellcheck source=/dev/null
    source "$CORRGAN_VENV/bin/activate"
fi

# tasks of one array may start together: mkdir -p does not mind
mkdir -p "$out_dir"
log "task $task on $(hostname): $rows rows, seed $seed, from $model into $shard"
"${runtime[@]}" python -m corrgan sample --model "$model" --rows "$rows" \
    --parquet "$shard" --seed "$seed"
log "wrote $shard"
