"""Charts drawn as inline SVG: self-contained (no script, no font, no request), escaped text."""
