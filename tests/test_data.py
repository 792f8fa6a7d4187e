import os
import subprocess
import sys

import pytest

from cnn_course.data import data_dir, data_path


def test_data_folder_found_from_any_working_directory(tmp_path):
    out = subprocess.run([sys.executable, "-c", "from cnn_course.data import data_path; print(data_path('README.md'))"],
                         cwd=tmp_path, capture_output=True, text=True, check=True).stdout.strip()
    assert os.path.isfile(out) and out.endswith(os.path.join("data", "README.md"))


def test_missing_file_is_named(monkeypatch, tmp_path):
    monkeypatch.setenv("CNN_COURSE_DATA", str(tmp_path))
    assert data_dir() == tmp_path
    with pytest.raises(FileNotFoundError, match="'nope.npz' not found"):
        data_path("nope.npz")
