"""``python -m autonet.cli`` runs the ``autonet`` command (as ``python -m autonet`` does)."""

import sys

from autonet.cli.program import main

sys.exit(main())
