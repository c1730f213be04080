"""The batch scripts in slurm/, submitted to a real SLURM cluster.

CI starts a two-node cluster on the machine with ``scripts/local-slurm.sh
start`` before the tests run. Without one these tests are skipped, except
under ``CI=true``, where a missing cluster is a failure: the scripts would
otherwise go untested without anyone noticing.

Every job runs in a temporary folder (its runs/, logs/ and samples/ land
there) with the repository on PYTHONPATH and the test's own virtual
environment passed as CORRGAN_VENV, the way a user would submit them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slurm, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[1]
SLURM_DIR = REPO / "slurm"

# short runs with small batches: the default run only has to finish; the
# preempted ones are caught at their first log line, so they need steps
# enough to outlast the signal's way there (well under a second), and finish
# soon after the restart. One thread per process: two processes with two
# threads each on two cores run several times slower.
DEFAULT_STEPS = 20
PREEMPT_STEPS = 200
LOG_EVERY = 5
TRAIN_ARGS = ("--log-every", str(LOG_EVERY), "--batch-size", "32", "--threads", "1")
JOB_TIMEOUT_S = 420
SAMPLE_ROWS = 64


def _default_slurm_conf() -> str | None:
    """The config of the cluster local-slurm.sh starts, if it is there."""
    state_dir = Path(os.environ.get("CORRGAN_SLURM_DIR", "/tmp/corrgan-slurm"))
    conf = state_dir / "slurm.conf"
    return str(conf) if conf.is_file() else None


def _venv() -> Path:
    """The virtual environment the jobs should activate: this test's own."""
    if sys.prefix != sys.base_prefix:
        return Path(sys.prefix)
    return REPO / ".venv"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI must start it with scripts/local-slurm.sh start")
    pytest.skip(reason)


@dataclass
class Job:
    """A finished job as the tests see it: its last state and its log."""

    job_id: str
    states: list[str]
    restarts: int
    log: str
    seen: list[str] = field(default_factory=list)


class Cluster:
    """Submits batch scripts from a work folder and polls them to the end."""

    def __init__(self, env: dict[str, str], workdir: Path) -> None:
        self.env = env
        self.workdir = workdir
        self.submitted: list[str] = []
        (workdir / "logs").mkdir(parents=True, exist_ok=True)

    def run(self, *cmd: str) -> str:
        done = subprocess.run(
            cmd,
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if done.returncode:
            raise AssertionError(f"{' '.join(cmd)} failed: {done.stderr}")
        return done.stdout

    def submit(
        self,
        script: str,
        *args: str,
        env: dict[str, str] | None = None,
        sbatch_args: tuple[str, ...] = (),
    ) -> str:
        """Submit slurm/<script> with the given arguments; return the job id."""
        cmd = ["sbatch", "--parsable", *sbatch_args, str(SLURM_DIR / script), *args]
        done = subprocess.run(
            cmd,
            cwd=self.workdir,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, f"sbatch failed: {done.stderr}"
        job_id = done.stdout.strip().split(";")[0]
        self.submitted.append(job_id)
        return job_id

    def log_files(self, job_id: str) -> list[Path]:
        """The job's logs: one, or one per task of an array job."""
        return sorted(
            p
            for p in (self.workdir / "logs").glob(f"*-{job_id}*.out")
            if re.search(rf"-{job_id}(_\d+)?\.out$", p.name)
        )

    def log(self, job_id: str) -> str:
        return "\n".join(p.read_text(errors="replace") for p in self.log_files(job_id))

    def job_fields(self, job_id: str) -> list[dict[str, str]]:
        """``scontrol show job`` as one dict per job (or array task).

        Empty once SLURM has forgotten the job (MinJobAge after its end).
        """
        done = subprocess.run(
            ["scontrol", "show", "job", "--oneliner", job_id],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if done.returncode:
            return []
        return [
            dict(item.split("=", 1) for item in line.split() if "=" in item)
            for line in done.stdout.splitlines()
            if line.strip()
        ]

    def wait_for_log(self, job_id: str, pattern: str, timeout: float) -> re.Match:
        """Poll the job's log until ``pattern`` shows up in it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = re.search(pattern, self.log(job_id), re.MULTILINE)
            if match:
                return match
            time.sleep(0.5)
        self.cancel(job_id)
        raise AssertionError(
            f"job {job_id}: no {pattern!r} in its log within {timeout:.0f} s\n"
            f"--- log ---\n{self.log(job_id)}"
        )

    def active(self, job_id: str) -> bool:
        """Whether any task of the job is still pending, running or ending."""
        done = subprocess.run(
            ["squeue", "--noheader", "--jobs", job_id, "-o", "%T"],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        # squeue refuses a job id SLURM has already forgotten: long finished
        return done.returncode == 0 and bool(done.stdout.strip())

    def wait(self, job_id: str, timeout: float = JOB_TIMEOUT_S) -> Job:
        """Poll until no task of the job is pending or running."""
        deadline = time.monotonic() + timeout
        restarts = 0
        seen: list[str] = []
        while time.monotonic() < deadline:
            # squeue first: once it is empty, scontrol's states are the last
            active = self.active(job_id)
            fields = self.job_fields(job_id)
            states = [f.get("JobState", "?") for f in fields]
            restarts = max([restarts, *(int(f.get("Restarts", 0)) for f in fields)])
            for state in states:
                if not seen or seen[-1] != state:
                    seen.append(state)
            if not active:
                return Job(job_id, states, restarts, self.log(job_id), seen)
            time.sleep(1)
        self.cancel(job_id)
        raise AssertionError(
            f"job {job_id} still running after {timeout:.0f} s "
            f"(states seen: {seen})\n--- log ---\n{self.log(job_id)}"
        )

    def cancel(self, job_id: str) -> None:
        subprocess.run(["scancel", job_id], env=self.env, capture_output=True)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """The local cluster, checked to be up, with a fresh work folder."""
    if shutil.which("sbatch") is None or shutil.which("sinfo") is None:
        _unavailable("SLURM is not installed (run bash .ci/slurm-setup.sh)")

    env = dict(os.environ)
    if "SLURM_CONF" not in env and _default_slurm_conf():
        env["SLURM_CONF"] = _default_slurm_conf()
    # a PYTHONPATH set by the caller comes first; the repository after it, so
    # that `python -m corrgan` works from the work folder
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (env.get("PYTHONPATH"), str(REPO)) if p
    )
    env["CORRGAN_VENV"] = str(_venv())
    # the test's own shell settings must not leak into the jobs
    for name in ("CORRGAN_IMAGE", "CORRGAN_CPU_PROCS", "DATA", "RUN_DIR"):
        env.pop(name, None)

    states = subprocess.run(
        ["sinfo", "--noheader", "--Node", "--format=%N %T"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    if states.returncode or not states.stdout.strip():
        _unavailable(
            "no SLURM cluster answers (start one with scripts/local-slurm.sh start):"
            f" {states.stderr.strip()}"
        )

    workdir = tmp_path_factory.mktemp("slurm-jobs")
    cluster = Cluster(env, workdir)
    yield cluster
    for job_id in cluster.submitted:
        cluster.cancel(job_id)


def _assert_finished(cluster: Cluster, job: Job, run_dir: Path) -> dict:
    """The job completed and left a readable report; return the report."""
    context = f"job {job.job_id} (states {job.seen})\n--- log ---\n{job.log}"
    assert job.states and all(s == "COMPLETED" for s in job.states), context
    report_path = run_dir / "report.json"
    assert report_path.is_file(), f"no {report_path}\n{context}"
    report = json.loads(report_path.read_text())
    assert isinstance(report, dict) and report, f"empty report\n{context}"
    return report


@pytest.fixture(scope="module")
def trained_run(cluster: Cluster) -> Path:
    """A run of slurm/train.sh as submitted unchanged, on the built-in table."""
    job_id = cluster.submit("train.sh", "--steps", str(DEFAULT_STEPS), *TRAIN_ARGS)
    job = cluster.wait(job_id)
    run_dir = cluster.workdir / "runs" / f"slurm-{job_id}"
    _assert_finished(cluster, job, run_dir)
    return run_dir


def test_train_on_the_built_in_table(cluster: Cluster, trained_run: Path) -> None:
    # the fixture submitted it; here the run folder is checked whole
    for name in ("report.json", "config.json", "metrics.jsonl"):
        assert (trained_run / name).is_file(), f"{name} missing in {trained_run}"
    job_id = trained_run.name.removeprefix("slurm-")
    log = cluster.log(job_id)
    assert "launcher exited with status 0" in log, log
    assert "USR1" not in log and "requeueing" not in log, log


def _processes_of(run_dir: Path) -> list[str]:
    """Command lines of the processes still working on ``run_dir``."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            words = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        line = " ".join(w.decode(errors="replace") for w in words)
        if "corrgan" in line and re.search(rf"{re.escape(run_dir.name)}(/|\s|$)", line):
            found.append(line)
    return found


def _assert_no_orphans(run_dir: Path, timeout: float = 15) -> None:
    """No trainer process of the run is left (they exit within seconds)."""
    deadline = time.monotonic() + timeout
    while _processes_of(run_dir) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not _processes_of(run_dir), _processes_of(run_dir)


def _preempt_and_resume(
    cluster: Cluster, script: str, env: dict[str, str], tag: str
) -> tuple[Job, Path]:
    """Submit, wait for training progress, send USR1, follow the requeue."""
    job_id = cluster.submit(script, "--steps", str(PREEMPT_STEPS), *TRAIN_ARGS, env=env)
    run_dir = cluster.workdir / "runs" / f"slurm-{job_id}"

    # a progress line means the trainer is in its loop, signal handler set
    cluster.wait_for_log(job_id, r"\bstep [1-9]\d*\b", timeout=JOB_TIMEOUT_S)
    cluster.run("scancel", "--batch", "--signal=USR1", job_id)

    # the script requeues only after the trainer has saved and exited
    cluster.wait_for_log(job_id, rf"^{tag}: requeueing job {job_id}", timeout=180)
    checkpoints = sorted((run_dir / "checkpoints").glob("step-*"))
    assert checkpoints, (
        f"no checkpoint in {run_dir}\n--- log ---\n{cluster.log(job_id)}"
    )
    # and the launchers passed the signal on: no worker outlived them (the
    # restart comes only after the requeue hold, cred_expire = 10 s here)
    _assert_no_orphans(run_dir, timeout=5)

    job = cluster.wait(job_id)
    _assert_finished(cluster, job, run_dir)
    context = f"--- log ---\n{job.log}"
    assert f"{tag}: job {job_id}, start 2," in job.log, context
    assert job.restarts >= 1 or "start 2" in job.log, context

    # the second start went on from the checkpoint instead of step 0
    resumed = re.search(r"resumed from step (\d+)", job.log)
    assert resumed, f"the restart did not resume\n{context}"
    assert 0 < int(resumed.group(1)) < PREEMPT_STEPS, context
    _assert_no_orphans(run_dir)
    return job, run_dir


def test_preemption_checkpoints_requeues_and_resumes(cluster: Cluster) -> None:
    # two CPU processes: the launch goes through accelerate launch, whose
    # launcher has to pass the SIGTERM on to both workers
    job, _ = _preempt_and_resume(
        cluster, "train.sh", {"CORRGAN_CPU_PROCS": "2"}, "train.sh"
    )
    assert "--num_processes 2" in job.log, job.log


@pytest.fixture
def apptainer_shim(tmp_path: Path) -> Path:
    """A stand-in for `apptainer` on PATH: checks its call, runs the command.

    No container runtime is available here; this checks that CORRGAN_IMAGE
    makes the scripts run their commands through `apptainer exec --nv IMAGE`.
    """
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "apptainer"
    shim.write_text(
        "#!/bin/sh\n"
        '[ "$1" = exec ] && [ "$2" = --nv ] || { echo "shim: bad call $*" >&2;'
        " exit 64; }\n"
        'echo "apptainer-shim: image $3" >&2\n'
        "shift 3\n"
        'exec "$@"\n'
    )
    shim.chmod(0o755)
    return bin_dir


def test_multinode_preemption_and_resume(
    cluster: Cluster, apptainer_shim: Path
) -> None:
    nodes = cluster.run("sinfo", "--noheader", "--Node", "--format=%N").split()
    if len(set(nodes)) < 2:
        _unavailable(f"the cluster has one node ({nodes}); multi-node needs two")

    # a table of the user's own (DATA) and an image (CORRGAN_IMAGE), so that
    # the launch through srun, the image and every node's rank is checked too
    from sklearn.datasets import load_wine

    table = cluster.workdir / "wine.csv"
    load_wine(as_frame=True).frame.to_csv(table, index=False)
    image = "/images/corrgan.sif"
    env = {
        "DATA": str(table),
        "CORRGAN_IMAGE": image,
        "PATH": os.pathsep.join(
            [str(apptainer_shim), str(_venv() / "bin"), cluster.env["PATH"]]
        ),
    }
    job, run_dir = _preempt_and_resume(
        cluster, "train-multinode.sh", env, "train-multinode.sh"
    )
    assert "2 node(s) x 1 process(es)" in job.log, job.log
    # two starts, one launcher on each of the two nodes every time
    assert job.log.count(f"apptainer-shim: image {image}") == 4, job.log
    assert f"--data {table}" in job.log, job.log
    assert str(table) in (run_dir / "config.json").read_text()


def test_sample_array_writes_one_dataset(
    cluster: Cluster, trained_run: Path, apptainer_shim: Path
) -> None:
    import pandas as pd
    import pyarrow.dataset as ds

    out_dir = cluster.workdir / "samples" / "wine"
    image = "/images/corrgan.sif"
    env = {
        "MODEL": str(trained_run),
        "ROWS": str(SAMPLE_ROWS),
        "SEED": "7",
        "OUT_DIR": str(out_dir),
        "CORRGAN_IMAGE": image,
        # what the image would provide: python with corrgan, on PATH
        "PATH": os.pathsep.join(
            [str(apptainer_shim), str(_venv() / "bin"), cluster.env["PATH"]]
        ),
    }
    job_id = cluster.submit("sample.sh", env=env)
    job = cluster.wait(job_id)
    context = f"states {job.seen}\n--- logs ---\n{job.log}"
    assert len(job.states) == 2 and set(job.states) == {"COMPLETED"}, context
    assert job.log.count(f"apptainer-shim: image {image}") == 2, context

    shards = sorted(p.name for p in out_dir.glob("*.parquet"))
    assert shards == ["part-00000.parquet", "part-00001.parquet"], context
    assert "seed 7" in job.log and "seed 8" in job.log, context

    # the folder is one dataset, through pyarrow and through pandas
    table = ds.dataset(out_dir, format="parquet").to_table()
    assert table.num_rows == 2 * SAMPLE_ROWS
    frame = pd.read_parquet(out_dir)
    assert len(frame) == 2 * SAMPLE_ROWS

    # different seeds, different rows
    first, second = (pd.read_parquet(out_dir / name) for name in shards)
    assert list(first.columns) == list(second.columns)
    assert not first.reset_index(drop=True).equals(second.reset_index(drop=True))
