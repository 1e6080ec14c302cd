from knowledge.rendering import keywords, plain_excerpt, render_markdown


def test_markdown_is_rendered():
    html = render_markdown("# Title\n\nSome **bold** and `code`.\n\n| a | b |\n|---|---|\n| 1 | 2 |")
    assert "<h1>Title</h1>" in html
    assert "<strong>bold</strong>" in html and "<code>code</code>" in html
    assert "<table>" in html and "<td>1</td>" in html


def test_script_injection_is_removed():
    html = render_markdown(
        "<script>alert('x')</script>\n\n<SCRIPT src=//evil></SCRIPT >"
        "[click](javascript:alert(1)) <img src=x onerror=alert(1)> <a href=\"vbscript:x\">v</a>"
        "<p onclick=\"steal()\" style=\"color:red\">p</p><iframe src=\"https://evil\"></iframe>"
    )
    lowered = html.lower()
    for bad in ("<script", "alert('x')", "javascript:", "onerror", "onclick", "vbscript", "<iframe", "style="):
        assert bad not in lowered, bad
    assert '<img src="x">' in html


def test_external_links_get_rel_and_code_is_not_double_escaped():
    html = render_markdown("See https://example.com and [docs](http://docs.example)\n\n```\na <b> & c\n```")
    assert 'href="https://example.com" rel="nofollow noopener noreferrer"' in html
    assert 'href="http://docs.example"' in html
    assert "a &lt;b&gt; &amp; c" in html


def test_excerpt_and_keywords():
    assert plain_excerpt("# Hello\n\nThis is **it** & more.") == "Hello This is it & more."
    long = plain_excerpt("word " * 100, length=30)
    assert long.endswith("…") and len(long) <= 31
    assert keywords("Login fails: SSO error 500, login again and not the user!") == [
        "login", "fails", "sso", "error", "500", "again", "user",
    ]
    assert keywords("") == []
