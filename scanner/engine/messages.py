"""Rule messages are Jinja2 templates rendered in a sandbox: facts come from servers we do not trust."""
from __future__ import annotations

import functools
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_MESSAGE = 2000


@functools.lru_cache(maxsize=None)
def environment() -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(
        autoescape=False,  # plain text here; every report escapes on output
        undefined=jinja2.ChainableUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def render(template: str, values: dict[str, Any]) -> tuple[str, str | None]:
    """The rendered text, and an error note when the template could not be rendered."""
    try:
        text = environment().from_string(template).render(**values)
    except (jinja2.TemplateError, TypeError, ValueError, AttributeError, OverflowError, RecursionError) as exc:
        return template, f"message template failed: {type(exc).__name__}: {exc}"
    text = " ".join(text.split())
    if len(text) > MAX_MESSAGE:
        text = text[: MAX_MESSAGE - 1] + "…"
    return text, None
