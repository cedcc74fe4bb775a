"""python -m noisecorr_utils.studies.<chapter> --profile ci: the chapter without papermill."""
import importlib
import sys

from ..chapter import main

sys.exit(main(importlib.import_module(__package__)))
