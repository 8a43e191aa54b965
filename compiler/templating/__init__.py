"""Suite templates at compile time: Handlebars and Jinja read into one sandboxed engine.

``engine.TemplateEngine`` renders a suite's fields; ``splitter``/``segments``/``handlebars`` read
template text; ``helpers`` (with ``javatime`` and ``fakerkeys``) are the seeded helpers;
``sandbox`` hardens the shared environment; ``errors``/``problem`` turn whatever a template
raises into a ``TemplateProblem``; ``render`` places those problems in the suite as diagnostics.
"""
