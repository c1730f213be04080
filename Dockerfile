# corrgan in a container: `docker run IMAGE train ...` runs `corrgan train ...`.
#
# GPU image (the default; torch from PyPI brings its own CUDA libraries, so
# the small CUDA "base" image, which only sets up the driver, is enough):
#   docker build -t corrgan .
#   docker run --gpus all -v "$PWD:/work" corrgan train --out runs/gpu
#
# CPU-only image, with the CPU build of torch (a fraction of the size):
#   docker build -t corrgan:cpu \
#     --build-arg BASE_IMAGE=python:3.11-slim \
#     --build-arg TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu .
#
# Build arguments:
#   BASE_IMAGE       image to start from; it needs python3 >= 3.10 or apt
#   TORCH_SPEC       what pip installs for torch: a requirement ("torch==2.13.0")
#                    or a wheel's URL or path
#   TORCH_INDEX_URL  index to take torch from (e.g. PyTorch's CPU index);
#                    empty means PyPI
# Behind a TLS-intercepting proxy, give pip the proxy's CA certificate as a
# build secret; without the secret the build is the same:
#   docker build --secret id=pip_ca,src=proxy-ca.pem .

ARG BASE_IMAGE=nvidia/cuda:12.8.1-base-ubuntu24.04

# the base with a python3 that can make virtual environments
FROM ${BASE_IMAGE} AS python
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# the CUDA images have no python; python images already have one, and a
# second from apt would only add size. Package versions come with the base
# image's release, which pins them well enough.
# hadolint ignore=DL3008
RUN if ! command -v python3 >/dev/null || ! python3 -c 'import venv, ensurepip'; then \
        apt-get update \
        && apt-get install -y --no-install-recommends \
            python3 python3-venv ca-certificates \
        && rm -rf /var/lib/apt/lists/*; \
    fi

# everything is installed into /opt/venv here; only that folder goes on
FROM python AS build
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
ARG TORCH_SPEC=torch
ARG TORCH_INDEX_URL=
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH
RUN python3 -m venv /opt/venv

# the roots pip trusts while building: its own, plus the proxy's certificate
# when the secret is given; this stage is not part of the image
RUN --mount=type=secret,id=pip_ca,required=false \
    roots=$(python -c 'import pip._vendor.certifi as c; print(c.where())') \
    && cat "$roots" > /opt/build-ca.pem \
    && if [ -s /run/secrets/pip_ca ]; then cat /run/secrets/pip_ca >>/opt/build-ca.pem; fi
ENV PIP_CERT=/opt/build-ca.pem

# torch on its own layer: the largest by far, rebuilt only when its build
# arguments change. The version is TORCH_SPEC's to pin.
# hadolint ignore=DL3013
RUN pip install ${TORCH_INDEX_URL:+--index-url "$TORCH_INDEX_URL"} "$TORCH_SPEC"

# then corrgan and its other dependencies (torch is already satisfied)
COPY . /src
RUN pip install /src && corrgan --version

# the image itself: the base, the venv, and a user that is not root (by
# number, so that a runtime can tell it is not root without the passwd file)
FROM python
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# matplotlib's cache in /tmp: a user given by --user may have no home
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    MPLBACKEND=Agg \
    MPLCONFIGDIR=/tmp/matplotlib
COPY --from=build /opt/venv /opt/venv
RUN useradd --create-home --shell /bin/bash --uid 10001 --user-group corrgan \
    && mkdir -p /work \
    && chown corrgan:corrgan /work
USER 10001:10001
WORKDIR /work
ENTRYPOINT ["corrgan"]
CMD ["--help"]
