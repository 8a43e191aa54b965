"""Which suite fields are credentials.

Credential fields go through ``TemplateEngine.render_credential``: an environment reference
becomes a ``SecretRef`` (the plan names the variable, never its value) and a literal secret is
an error. The fields:

- provider ``token`` (API key; Bedrock access key) and ``secret`` (Bedrock secret key);
- provider ``credentials_path`` (Vertex): a reference when written as one; a literal path is
  allowed, since a path is not itself a secret;
- server ``headers`` whose name looks like authentication (Authorization, *token*, *key*, ...);
  other headers may be literal;
- ``env`` values (stdio servers, external agents) whose variable name looks secret, by the
  same word rule the template engine applies to environment references
  (``secret_names.looks_secret``: ``DB_PASSWORD`` yes, ``AUTHOR`` no).
"""

from __future__ import annotations

import re

from .secret_names import looks_secret

__all__ = ["is_secret_env_name", "is_secret_header", "split_header"]

# Header names are matched as substrings: "Authorization", "X-Api-Key", "Cookie".
_SECRETISH = re.compile(r"(?i)(auth|token|secret|key|cookie|passw|credential|session)")


def is_secret_header(name: str) -> bool:
    """True for header names that carry credentials (a literal value there is an error)."""
    return bool(_SECRETISH.search(name))


def is_secret_env_name(name: str) -> bool:
    """True for environment variable names that look like they hold a secret."""
    return looks_secret(name)


def split_header(text: str) -> tuple[str, str] | None:
    """``"Key: Value"`` -> (Key, Value); None when there is no colon or no key."""
    if ":" not in text:
        return None
    name, _, value = text.partition(":")
    name = name.strip()
    if not name or any(c.isspace() for c in name):
        return None
    return name, value.strip()
