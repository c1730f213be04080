"""Static checks of the container recipes and the cluster scripts.

Nothing here builds an image or submits a job (tests/test_slurm.py submits
them): the shell scripts go through shellcheck, the Dockerfile through
hadolint, and the Dockerfile, .dockerignore, apptainer.def and the #SBATCH
headers are read and checked for what the cluster docs promise. A missing
linter skips its test, except under CI=true, where it is a failure
(`bash .ci/slurm-setup.sh` installs both).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHELL_SCRIPTS = sorted(
    [
        *REPO.glob("slurm/*.sh"),
        *REPO.glob("scripts/*.sh"),
        *REPO.glob(".ci/*.sh"),
    ]
)
BATCH_SCRIPTS = sorted(REPO.glob("slurm/*.sh"))


def _tool(name: str) -> str:
    """The linter's path: on PATH or in this test's virtual environment."""
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.prefix, "bin")))
    if found:
        return found
    reason = f"{name} is not installed (run bash .ci/slurm-setup.sh)"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def _dockerfile_args() -> dict[str, str]:
    """The ARG defaults of the Dockerfile, by name."""
    text = (REPO / "Dockerfile").read_text()
    return dict(re.findall(r"^ARG (\w+)=(\S*)", text, re.MULTILINE))


# linters


def test_shell_scripts_pass_shellcheck() -> None:
    shellcheck = _tool("shellcheck")
    assert SHELL_SCRIPTS, "no shell scripts found"
    done = subprocess.run(
        [shellcheck, "-S", "warning", *map(str, SHELL_SCRIPTS)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_dockerfile_passes_hadolint() -> None:
    hadolint = _tool("hadolint")
    done = subprocess.run(
        [hadolint, "--no-color", str(REPO / "Dockerfile")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


# the #SBATCH headers


@pytest.mark.parametrize("script", BATCH_SCRIPTS, ids=lambda p: p.name)
def test_every_sbatch_line_says_what_it_is_for(script: Path) -> None:
    lines = [line for line in script.read_text().splitlines() if "SBATCH" in line]
    assert lines, f"{script.name} has no #SBATCH lines"
    for line in lines:
        assert re.match(r"^##?SBATCH --[\w-]+(=\S+)?\s+# \S", line), line


@pytest.mark.parametrize("script", BATCH_SCRIPTS, ids=lambda p: p.name)
def test_partition_and_account_are_left_to_the_user(script: Path) -> None:
    text = script.read_text()
    for option in ("partition", "account"):
        # present, for the user to find, but switched off
        assert re.search(rf"^##SBATCH --{option}=", text, re.MULTILINE), option
        assert not re.search(rf"^#SBATCH --{option}", text, re.MULTILINE), option


@pytest.mark.parametrize("script", ["train.sh", "train-multinode.sh"])
def test_training_scripts_are_set_up_for_preemption(script: str) -> None:
    text = (REPO / "slurm" / script).read_text()
    assert re.search(r"^#SBATCH --signal=B:USR1@120\s", text, re.MULTILINE)
    assert re.search(r"^#SBATCH --requeue\s", text, re.MULTILINE)
    assert re.search(r"^#SBATCH --output=logs/%x-%j\.out\s", text, re.MULTILINE)
    assert "--resume" in text and "scontrol requeue" in text


def test_sample_script_is_an_array_of_two_by_default() -> None:
    text = (REPO / "slurm" / "sample.sh").read_text()
    assert re.search(r"^#SBATCH --array=0-1\s", text, re.MULTILINE)
    assert "part-%05d.parquet" in text


# the Dockerfile and its context


def test_dockerfile_defaults() -> None:
    text = (REPO / "Dockerfile").read_text()
    args = _dockerfile_args()
    assert args["BASE_IMAGE"].startswith("nvidia/cuda:"), args
    assert {"TORCH_SPEC", "TORCH_INDEX_URL"} <= args.keys(), args
    # the proxy certificate is an optional secret, never a layer
    assert "--mount=type=secret,id=pip_ca,required=false" in text
    assert 'ENTRYPOINT ["corrgan"]' in text

    # the last stage runs as a user other than root
    users = re.findall(r"^USER (\S+)", text, re.MULTILINE)
    assert users and users[-1].split(":")[0] not in ("root", "0"), users


def _ignored(path: str, patterns: list[str]) -> bool:
    """Whether .dockerignore keeps ``path`` out of the build context.

    A path is out when it or a folder above it matches the last pattern
    that applies; ``!`` lets a path back in, ``**`` spans folders and ``*``
    stays inside one, as in Docker.
    """
    parts = path.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        body = pattern.removeprefix("!").strip("/")
        regex = re.escape(body)
        regex = regex.replace(r"\*\*/", "(?:.*/)?").replace(r"\*\*", ".*")
        regex = regex.replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
        if any(re.fullmatch(regex, c) for c in candidates):
            ignored = not negate
    return ignored


def test_dockerignore_keeps_the_context_small() -> None:
    lines = (REPO / ".dockerignore").read_text().splitlines()
    patterns = [line.strip() for line in lines if line.strip() and line[0] != "#"]
    for path in (
        ".git/HEAD",
        ".venv/bin/python",
        "runs/slurm-1/report.json",
        "corrgan/__pycache__/cli.cpython-311.pyc",
        ".pytest_cache/v/cache",
        "data/table.parquet",
        "tests/data/small.csv",
        "corrgan.egg-info/PKG-INFO",
    ):
        assert _ignored(path, patterns), f"{path} would be sent to the build"
    for path in ("pyproject.toml", "README.md", "LICENSE", "corrgan/cli.py"):
        assert not _ignored(path, patterns), f"{path} would be left out"


# apptainer.def


def _apptainer_sections() -> tuple[dict[str, str], dict[str, str]]:
    """The header keys and the %sections of apptainer.def."""
    header: dict[str, str] = {}
    sections: dict[str, str] = {}
    current = None
    for line in (REPO / "apptainer.def").read_text().splitlines():
        if line.startswith("%"):
            current = line[1:].split()[0]
            assert current not in sections, f"%{current} appears twice"
            sections[current] = ""
        elif current is not None:
            sections[current] += line + "\n"
        elif line.strip() and not line.startswith("#"):
            key, _, value = line.partition(":")
            header[key.strip()] = value.strip()
    return header, sections


def test_apptainer_def_parses_into_sections() -> None:
    header, sections = _apptainer_sections()
    assert header["Bootstrap"] == "docker"
    assert header["From"] == "{{ BASE_IMAGE }}"
    assert {"arguments", "files", "post", "environment", "runscript", "test"} <= (
        sections.keys()
    )
    assert 'exec corrgan "$@"' in sections["runscript"]
    assert "corrgan --version" in sections["test"]


def test_apptainer_def_follows_the_dockerfile() -> None:
    _, sections = _apptainer_sections()
    arguments = dict(
        line.strip().split("=", 1)
        for line in sections["arguments"].splitlines()
        if line.strip()
    )
    docker_args = _dockerfile_args()
    for name in ("BASE_IMAGE", "TORCH_SPEC", "TORCH_INDEX_URL"):
        assert arguments[name] == docker_args[name], name

    # every file it copies exists, relative to the repository root
    for line in sections["files"].splitlines():
        if line.strip():
            source = line.split()[0]
            assert (REPO / source).exists(), f"%files names missing {source}"


# a real build, on request


def _local_torch_wheel() -> Path | None:
    """The torch wheel pip installs from disk here, if there is one.

    pip finds it through its find-links folders (PIP_FIND_LINKS or pip.conf);
    a build cannot see those, so the test serves the file over HTTP.
    """
    import torch

    version = torch.__version__
    folders = os.environ.get("PIP_FIND_LINKS", "/opt/wheels").split()
    for folder in map(Path, folders):
        for wheel in sorted(folder.glob("torch-*.whl")):
            if wheel.name.startswith(f"torch-{version}-"):
                return wheel
    return None


def _serve(folder: Path):
    """An HTTP server for ``folder`` on a free local port, in a thread."""
    import functools
    import http.server
    import threading

    handler = functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(folder)
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _run(*cmd: str, timeout: float) -> str:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(cmd)}\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.mark.slow
@pytest.mark.skipif(
    os.environ.get("CORRGAN_BUILD_IMAGE") != "1",
    reason="builds the image for about 10 minutes; set CORRGAN_BUILD_IMAGE=1",
)
def test_cpu_image_builds_and_trains(tmp_path: Path) -> None:
    # with no image registry in reach, the base is a Debian made here by
    # debootstrap (with python3, like python:3.11-slim), imported into podman
    for tool in ("buildah", "podman", "debootstrap"):
        _tool(tool)
    base = "localhost/corrgan-base:bookworm"
    if subprocess.run(["podman", "image", "exists", base]).returncode:
        rootfs = tmp_path / "rootfs"
        _run(
            "debootstrap",
            "--variant=minbase",
            "--include=python3,python3-venv,ca-certificates",
            "bookworm",
            str(rootfs),
            "http://deb.debian.org/debian",
            timeout=900,
        )
        tar = subprocess.Popen(
            # the downloaded packages are not needed in the image
            [
                "tar",
                "-C",
                str(rootfs),
                "--exclude=./var/cache/apt/archives/*.deb",
                "-c",
                ".",
            ],
            stdout=subprocess.PIPE,
        )
        imported = subprocess.run(
            ["podman", "import", "-", base], stdin=tar.stdout, capture_output=True
        )
        tar.wait()
        assert imported.returncode == 0, imported.stderr

    # torch from the local wheel, served to the build; the rest from PyPI,
    # trusting this machine's CA bundle too (a proxy may sign PyPI's TLS)
    wheel = _local_torch_wheel()
    if wheel is None:
        pytest.skip("no local torch wheel; a build would pull a CUDA torch")
    server = _serve(wheel.parent)
    try:
        port = server.server_address[1]
        ca_bundle = os.environ.get(
            "SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt"
        )
        _run(
            "buildah",
            "bud",
            "--isolation",
            "chroot",
            "--network",
            "host",
            # no cached layers: each build would leave about 2 GB behind
            "--layers=false",
            "--secret",
            f"id=pip_ca,src={ca_bundle}",
            "--build-arg",
            f"BASE_IMAGE={base}",
            "--build-arg",
            f"TORCH_SPEC=http://127.0.0.1:{port}/{wheel.name}",
            "-t",
            "localhost/corrgan:cpu-test",
            str(REPO),
            timeout=1800,
        )
    finally:
        server.shutdown()

    try:
        _check_image(tmp_path)
    finally:
        subprocess.run(["podman", "rmi", "-f", "localhost/corrgan:cpu-test"])


def _check_image(tmp_path: Path) -> None:
    # run it as its own user, without network, on a mounted folder; the
    # low ulimits are because runc may not raise them inside a sandbox
    work = tmp_path / "work"
    work.mkdir()
    work.chmod(0o777)
    run = [
        "podman",
        "--runtime",
        "runc",
        "run",
        "--rm",
        "--network",
        "none",
        "--ulimit",
        "nofile=1024:1024",
        "--ulimit",
        "nproc=4096:4096",
        "-v",
        f"{work}:/work",
        "localhost/corrgan:cpu-test",
    ]
    assert "corrgan" in _run(*run, "--version", timeout=120)
    _run(
        *run,
        "train",
        "--out",
        "runs/img",
        "--steps",
        "5",
        "--threads",
        "1",
        timeout=600,
    )
    assert (work / "runs" / "img" / "report.json").is_file()
    assert (work / "runs" / "img" / "report.json").stat().st_uid == 10001
    _run(
        *run,
        "sample",
        "--model",
        "runs/img",
        "--rows",
        "50",
        "--parquet",
        "s.parquet",
        "--seed",
        "1",
        timeout=300,
    )
    assert (work / "s.parquet").is_file()

    # as the README runs it: the host user's id on a folder only it can write
    # to, an id the image has no account (and no home) for
    mine = tmp_path / "mine"
    mine.mkdir()
    os.chown(mine, 4321, 4321)
    mine.chmod(0o755)
    as_user = [*run[:-3], "--user", "4321:4321", "-v", f"{mine}:/data", "-w", "/data"]
    done = subprocess.run(
        [*as_user, run[-1], "train", "--out", "r", "--steps", "5"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert (mine / "r" / "report.json").stat().st_uid == 4321
    assert "not a writable directory" not in done.stderr
    assert "Permission denied" not in done.stderr
