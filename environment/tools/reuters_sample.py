#!/usr/bin/env python3
"""Maintainer's tool (run by environment/make-samples): merges weka's Reuters Grain and Corn ARFF files into one
ARFF per split with both labels, data/reuters/reuters-grain-corn-{train,test}.arff.gz (see data/README.md).

The Grain and Corn files hold the same stories in the same order and differ only in the 0/1 label; this checks that
line by line and writes each story's quoted text byte for byte, followed by its grain and corn labels. Standard
library only; gzip level 9, mtime 0, no file name, so the same package gives byte-identical files."""
import argparse
import gzip
import io
import os
import sys


def data_rows(path):
    with open(path, "rb") as f:
        lines = f.read().split(b"\n")
    start = next(i for i, line in enumerate(lines) if line.strip().lower() == b"@data") + 1
    rows = [line for line in lines[start:] if line.strip() and not line.startswith(b"%")]
    for n, row in enumerate(rows):
        if not (row.endswith(b",0") or row.endswith(b",1")):
            sys.exit(f"{path}: data row {n + 1} does not end in ,0 or ,1")
    return [(row[:-2], row[-1:]) for row in rows]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--examples", required=True, help="weka's examples folder (usr/share/doc/weka/examples)")
    parser.add_argument("--out", required=True, help="the data/reuters folder")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for split, title in (("train", "Train"), ("test", "Test")):
        grain = data_rows(os.path.join(args.examples, f"ReutersGrain-{split}.arff"))
        corn = data_rows(os.path.join(args.examples, f"ReutersCorn-{split}.arff"))
        if len(grain) != len(corn) or any(g[0] != c[0] for g, c in zip(grain, corn)):
            sys.exit(f"ReutersGrain-{split}.arff and ReutersCorn-{split}.arff do not hold the same texts in the same order")
        body = io.BytesIO()
        body.write(f"% Reuters-21578 ModApte {title}, as in weka's ReutersGrain-{split}.arff and ReutersCorn-{split}.arff\n"
                   f"% (Debian package weka, GPL-2+); texts unchanged, the two 0/1 labels side by side. See data/README.md.\n"
                   .encode())
        body.write(f"@relation 'Reuters-21578 Grain and Corn ModApte {title}'\n\n".encode())
        body.write(b"@attribute Text string\n@attribute grain {0,1}\n@attribute corn {0,1}\n\n@data\n")
        for (text, g), (_, c) in zip(grain, corn):
            body.write(text + b"," + g + b"," + c + b"\n")
        path = os.path.join(args.out, f"reuters-grain-corn-{split}.arff.gz")
        with open(path, "wb") as raw:
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as f:
                f.write(body.getvalue())
        print(f"{path}: {len(grain)} stories", file=sys.stderr)


if __name__ == "__main__":
    main()
