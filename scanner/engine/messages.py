"""Rule messages are Jinja2 templates rendered in a sandbox: facts come from servers we do not trust."""
from __future__ import annotations

import functools
import re
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


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9])")
MAX_HEADLINE = 300


def problem_headline(message: str, title: str) -> str:
    """What is wrong, in one sentence: the first sentence of the finding's message (which states the
    problem), never the rule's title alone (which states the requirement and reads as its opposite
    after "failed")."""
    first = _SENTENCE_END.split(message.strip(), maxsplit=1)[0].rstrip(".") if message.strip() else ""
    if not first:
        return f"requirement not met: {title}"
    return first if len(first) <= MAX_HEADLINE else first[: MAX_HEADLINE - 1] + "…"
