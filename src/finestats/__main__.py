"""``python -m finestats`` runs the command line."""

from finestats.cli import main

main()
