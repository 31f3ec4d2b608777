"""The build's JS/CSS minifier (esbuild): smaller output, same meaning, a clear refusal."""

from __future__ import annotations

import gzip

import pytest

from eslamed.site.minify import MinifyError, minify_css, minify_js
from tests.support.paths import REPO


def test_comments_go_strings_and_regexes_stay_and_locals_are_renamed() -> None:
    src = """
    // a line comment
    (function () {
      var descriptiveName = "http://x/y"; /* block */ var c = '/* not a comment */';
      var pattern = /a\\/b[/]c/g, half = descriptiveName.length / 2 / c.length;
      window.out = [descriptiveName, c, pattern.source, half];
    })();
    """
    out = minify_js(src)
    assert "comment" not in out.replace("/* not a comment */", "")
    assert '"http://x/y"' in out and "/* not a comment */" in out and "/a\\/b[/]c/g" in out
    assert "descriptiveName" not in out and "window.out" in out


def test_turkish_text_stays_readable_utf8() -> None:
    assert "Çok fazla istek" in minify_js('window.t = "Çok fazla istek";')


def test_css_drops_comments_and_optional_space_only() -> None:
    src = """
    /* theme */
    a:hover , b > c {
      color : red ;
      width: calc(100% - 2px);
      content: "a  ;  b";
    }
    """
    out = minify_css(src)
    assert "theme" not in out
    assert "calc(100% - 2px)" in out and '"a  ;  b"' in out and "b>c" in out


@pytest.mark.parametrize("src", ["var s = 'open", "/* open", "var = 1;"])
def test_what_is_not_javascript_is_refused_with_esbuilds_message(src: str) -> None:
    with pytest.raises(MinifyError, match=r"\[ERROR\](.|\n)*<stdin>:1:"):
        minify_js(src)


def test_tracking_js_is_written_with_readable_names_and_still_fits_its_budget() -> None:
    source = (REPO / "site" / "assets" / "tracking.js").read_text(encoding="utf-8")
    assert "attribution" in source and "pageView" in source
    out = minify_js(source).encode()
    assert b"attribution" not in out and b"window.E" in out
    assert len(gzip.compress(out, compresslevel=9, mtime=0)) <= 1024
