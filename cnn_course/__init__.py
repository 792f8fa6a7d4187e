"""Student-side helpers of the CNN course: visible checks, recording for the grader, widgets.

Import the parts you need (``from cnn_course.checks import check``,
``from cnn_course.widgets import conv_arithmetic_widget``); importing the package
itself loads nothing heavy. This package never imports ``grader`` (instructor-only).
"""
