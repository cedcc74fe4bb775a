"""A small Sphinx extension for the book (listed in ``_config.yml``).

Jupyter Book 1 always loads sphinx-thebe, which puts its inline configuration on each page
twice (a ``SyntaxError: Identifier 'THEBE_JS_URL' has already been declared``) and names a
CDN script. The book has no live-code launch button, so every thebe script is dropped.
"""


def _drop_thebe(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if scripts is None:
        return
    keep = [s for s in scripts
            if "thebe" not in str(getattr(s, "filename", s) or "")
            and "THEBE_JS_URL" not in str(getattr(s, "attributes", {}).get("body", ""))]
    scripts[:] = keep


def setup(app):
    app.connect("html-page-context", _drop_thebe, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
