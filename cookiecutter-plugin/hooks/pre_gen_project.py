"""Refuse names that would not make a valid dist, package and entry point."""

import re
import sys

plugin_name = r"""{{ cookiecutter.plugin_name }}"""
hyphenated = "{{ cookiecutter.__hyphenated }}"
kind = "{{ cookiecutter.provider_kind }}"
KINDS = ("cache_store", "audit_sink", "pii_detector", "metrics_exporter", "search_provider", "middleware")

if not re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", hyphenated):
    sys.exit(
        f"ERROR: plugin_name {plugin_name!r} gives {hyphenated!r}: use letters, digits, "
        "spaces, hyphens or underscores, starting with a letter (e.g. 'acme cache')."
    )
if hyphenated.startswith("prisma-infra"):
    sys.exit("ERROR: give the plugin's own name; the template adds the prisma-infra- prefix.")
if kind not in KINDS:
    sys.exit(f"ERROR: provider_kind {kind!r} is not one of {', '.join(KINDS)}.")
