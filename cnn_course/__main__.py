"""``python -m cnn_course check NOTEBOOK``: see :mod:`cnn_course.selfcheck`."""
import sys

from .selfcheck import main

sys.exit(main())
