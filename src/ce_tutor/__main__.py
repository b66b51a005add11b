"""``python -m ce_tutor`` runs the same entry point as the ``ce-tutor`` console script."""

from ce_tutor.cli import main

raise SystemExit(main())
