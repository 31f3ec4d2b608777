"""The build's own JS/CSS minifiers: smaller output, same meaning, refusal where unsure."""

from __future__ import annotations

import pytest

from eslamed.site.minify import MinifyError, minify_css, minify_js


def test_comments_and_indentation_go_but_strings_stay() -> None:
    src = """
    // a line comment
    var url = "http://x/y"; /* block */ var c = '/* not a comment */';
    """
    assert minify_js(src) == "var url=\"http://x/y\";var c='/* not a comment */';\n"


def test_regex_literals_are_kept_whole_and_division_is_not_a_regex() -> None:
    src = "var r = /a\\/b[/]c/g.test(s), half = total / 2 / n;\nreturn /x/.test(y);"
    assert minify_js(src) == "var r=/a\\/b[/]c/g.test(s),half=total/2/n;return/x/.test(y);\n"


def test_line_breaks_that_end_statements_are_kept() -> None:
    src = "var a = 1\nvar b = a\n++b\nfunction f() {\n  return\n  b\n}\nf()\n(g)"
    out = minify_js(src)
    assert out == "var a=1\nvar b=a\n++b\nfunction f(){return\nb}\nf()\n(g)\n"


def test_line_breaks_inside_expressions_and_after_headers_are_dropped() -> None:
    src = "var a = [\n  1,\n  2\n];\nif (a)\n  go(a);\nx = y\n  .z;"
    assert minify_js(src) == "var a=[1,2];if(a)go(a);x=y.z;\n"


def test_semicolon_before_brace_is_dropped_unless_it_is_an_empty_body() -> None:
    assert minify_js("function f() { go(); }") == "function f(){go()}\n"
    assert minify_js("function f() { if (a); }") == "function f(){if(a);}\n"
    assert minify_js("function f() { while (next()); }") == "function f(){while(next());}\n"


def test_operators_that_would_merge_keep_a_space() -> None:
    assert minify_js("a = b + +c - -d;") == "a=b+ +c- -d;\n"
    assert minify_js("x = typeof y in z") == "x=typeof y in z\n"


@pytest.mark.parametrize("src", ["var s = `tpl`;", "var s = 'open", "/* open", "var r = /open"])
def test_what_it_cannot_handle_is_refused(src: str) -> None:
    with pytest.raises(MinifyError):
        minify_js(src)


def test_css_drops_comments_and_optional_space_only() -> None:
    src = """
    /* theme */
    a :hover , b > c {
      color : red ;
      width: calc(100% - 2px);
      content: "a  ;  b";
    }
    @media (min-width: 768px) and (max-width: 900px) { .x { top: 0; } }
    """
    assert minify_css(src) == (
        'a :hover,b>c{color :red;width:calc(100% - 2px);content:"a  ;  b"}'
        "@media (min-width:768px) and (max-width:900px){.x{top:0}}\n"
    )
