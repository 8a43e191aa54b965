"""Foreign text that tries to act on a console or a GitHub Actions log (stdlib only)."""

import os

WRAP = "::warning::wrap " * 20  # ~300 characters: any wrap starts a line with "::"


def payload() -> str:
    """Workflow commands, terminal escapes, a long line and the agent's own API key."""
    return (
        f"key={os.environ.get('OPENAI_API_KEY', '')}"
        f" token={os.environ.get('SERVICE_TOKEN', '')} "
        "::add-mask::x"
        "\n::error file=a::b"
        "\r::notice::after a carriage return"
        "\x1b[31mRED\x1b[0m\x1b]0;retitled\x07\x9b2J\x1b[2J"
        " ##[error]legacy "
        "\u2028::warning::line-separator "
        f"{WRAP}"
    )
