"""The bundled text-embedding model: offline loading, its weights file, what it sees."""

import subprocess
import sys

import numpy as np
import pytest

from app.search import embeddings
from tests.conftest import PROJECT_ROOT

RENEW = "How do I renew my residence permit?"
RP = "RP renewal procedure and documents needed"


def test_the_model_loads_without_touching_the_network():
    script = (
        "import socket\n"
        "def refuse(*args, **kwargs):\n"
        "    raise OSError('network used while loading the model')\n"
        "socket.socket.connect = refuse\n"
        "socket.socket.connect_ex = refuse\n"
        "socket.create_connection = refuse\n"
        "from app.search.embeddings import embed\n"
        "print(embed(['residence permit']).shape)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "(1, 256)" in done.stdout


def test_the_weights_ship_inside_the_installed_package():
    path = embeddings.weights_path()
    assert path.is_file(), f"{path} is missing: reinstall wordllama==0.4.0.post1"
    assert path.stat().st_size > 16_000_000  # float16 table of the 32k-token vocab
    assert (embeddings.package_dir() / "tokenizers").is_dir()


def test_a_missing_weights_file_fails_loudly_instead_of_downloading(monkeypatch, tmp_path):
    monkeypatch.setattr(embeddings, "_model", None)
    monkeypatch.setattr(embeddings, "weights_path", lambda: tmp_path / "gone.safetensors")
    with pytest.raises(FileNotFoundError):
        embeddings.model()


def test_embeddings_see_meaning():
    renew, rp, bread = embeddings.embed([RENEW, RP, "Sourdough starter feeding schedule"])
    assert renew @ rp > 0.3 > renew @ bread
    assert np.allclose(np.linalg.norm(embeddings.embed([RENEW, "x y"]), axis=1), 1, atol=1e-3)
    assert not embeddings.embed([""]).any()
