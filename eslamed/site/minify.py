"""The build's JS and CSS minifier: esbuild, the Debian package's binary (no npm at build time).

esbuild renames local names, so our scripts are written with names that say what they hold and
tracking.js still fits its 1,024 B gzip budget. Output is plain ES2020 (every browser of the
site's visitors) in UTF-8, so Turkish text is not escaped into longer \\u sequences.
"""

from __future__ import annotations

import shutil
import subprocess

TARGET = "es2020"
TIMEOUT_S = 60


class MinifyError(ValueError):
    """esbuild is missing or refused the source (its message says where)."""


def _esbuild(src: str, loader: str) -> str:
    binary = shutil.which("esbuild")
    if binary is None:
        raise MinifyError("esbuild is not installed: apt-get install esbuild (bash ops/dev.sh does)")
    done = subprocess.run(
        [
            binary,
            "--minify",
            f"--loader={loader}",
            f"--target={TARGET}",
            "--charset=utf8",
            "--legal-comments=none",
            "--log-level=error",
        ],
        input=src,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    if done.returncode != 0:
        raise MinifyError(done.stderr.strip() or f"esbuild exited {done.returncode}")
    return done.stdout


def minify_js(src: str) -> str:
    return _esbuild(src, "js")


def minify_css(src: str) -> str:
    return _esbuild(src, "css")
