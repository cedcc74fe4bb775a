#!/usr/bin/env bash
# Install the Debian packages the project needs, if missing: Fashion-MNIST's data files and
# Chromium (for the browser tests). Without apt or root, say what to install and fail.
set -euo pipefail
missing=()
[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || missing+=(dataset-fashion-mnist)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
[ ${#missing[@]} -eq 0 ] && exit 0
if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    echo "installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
    echo "error: missing Debian packages ${missing[*]}; install them with: sudo apt-get install ${missing[*]}" >&2
    exit 1
fi
