#!/usr/bin/env python3
"""Removes the hanse crates' own build outputs that earlier clones left in shared target
directories.

`.ci/run` keeps the build in a cache outside the clone so RocksDB is compiled once. Each
clone's build of the hanse crates leaves its outputs there (about 1 GB a clone, instrumented
fuzz targets included, when they were built in CI): thirty clones filled a 250 GB disk.

Outputs of two checkouts can also collide: on 2026-12-07 `cargo clippy --workspace` in a
working tree, run after a CI clone had built the same profile and features, reused the
clone's (older) build of `hanse-node`, because the working tree's edited files were older
than the clone's outputs (cargo decides freshness by file times). A fresh clone is newer
than every output, so CI is not affected; after running `.ci/run` from a clone, `touch` the
files edited in the working tree before building it against the same cache.

Third-party crates are shared across clones and stay; a hanse output older than
`--older-than` minutes is from an earlier clone (or is rebuilt in a minute), so it goes.

    .ci/prune_cache.py [--older-than MINUTES] TARGET_DIR...
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path


def own_target_names(manifests):
    """The file stems cargo gives the targets of the packages in these manifests' workspaces."""
    names = set()
    for manifest in manifests:
        metadata = json.loads(
            subprocess.run(
                ["cargo", "metadata", "--no-deps", "--format-version", "1", "--manifest-path", manifest],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        )
        for package in metadata["packages"]:
            for target in package["targets"]:
                name = target["name"].replace("-", "_")
                names.update({name, "lib" + name})
    return names


def prune(target_dir, names, older_than_s):
    """Deletes old outputs named after `names` in every `deps` folder under `target_dir`."""
    removed, freed = 0, 0
    now = time.time()
    for deps in Path(target_dir).glob("**/deps"):
        for entry in deps.iterdir():
            stem = entry.name.split(".", 1)[0].rsplit("-", 1)[0]
            if stem not in names or not entry.is_file():
                continue
            stat = entry.stat()
            if now - stat.st_mtime < older_than_s:
                continue
            entry.unlink()
            removed += 1
            freed += stat.st_size
    return removed, freed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--older-than", type=float, default=60, help="minutes (default 60)")
    parser.add_argument("target_dirs", nargs="+")
    args = parser.parse_args()
    root = Path(__file__).resolve().parent.parent
    names = own_target_names([root / "Cargo.toml", root / "fuzz" / "Cargo.toml"])
    for target_dir in args.target_dirs:
        if not os.path.isdir(target_dir):
            continue
        removed, freed = prune(target_dir, names, args.older_than * 60)
        print(f"{target_dir}: removed {removed} old hanse outputs ({freed / 2**30:.1f} GiB)")


if __name__ == "__main__":
    sys.exit(main())
