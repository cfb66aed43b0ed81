"""Sphinx configuration for the checkoutkit documentation."""

from __future__ import annotations

project = "checkoutkit"
author = "checkoutkit contributors"
copyright = "2026, checkoutkit contributors"

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.doctest",
    "sphinx.ext.graphviz",
    "sphinx.ext.intersphinx",
    "sphinx.ext.napoleon",
]
myst_enable_extensions = ["colon_fence", "deflist"]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build"]
html_theme = "furo"
html_title = "checkoutkit"
autodoc_member_order = "bysource"
autodoc_typehints = "description"
nitpicky = False
intersphinx_mapping: dict[str, tuple[str, None]] = {}

# Diagrams are drawn at build time by Graphviz's dot (apt install graphviz): SVG, no CDN.
graphviz_output_format = "svg"
