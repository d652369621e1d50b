"""HTML rendering: one Jinja2 environment (autoescape everywhere) for every report template."""
from __future__ import annotations

import functools
from typing import Any

import jinja2
from markupsafe import Markup, escape

from scanner import paths
from scanner.report.text import clip, human, one_line, soft_breaks, value_text, visible


def _finalize(value: Any) -> Any:
    """Every printed value passes here: text from a document shows its hidden characters."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return visible(value)
    return value


def _clip(value: Any, limit: int) -> Markup:
    """Untrusted text, cut to limit, hidden characters shown, long runs breakable, escaped.

    Break opportunities go in before escaping: inserted afterwards they could split an entity
    (`&#3<ZWSP>9;`), which the browser then shows as text."""
    return Markup(escape(soft_breaks(visible(clip(str(value), limit)))))


def _names(values: Any, limit: int = 200) -> Markup:
    """A list of names, each cut to limit, comma-separated: a list is never cut short as a whole, so
    a failing or unchecked subject is never dropped from the report (only an absurd name is cut)."""
    return Markup(", ").join(_clip(v, limit) for v in values)


@functools.lru_cache(maxsize=None)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(paths.TEMPLATES_DIR)),
        autoescape=True,  # all templates, whatever their name
        undefined=jinja2.StrictUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(clip=_clip, names=_names, value_text=value_text, human=human, one_line=one_line)
    return env


def render(template: str, context: dict[str, Any]) -> str:
    return environment().get_template(template).render(context)
