"""`models.py` is exactly what the generator makes of clients/openapi.json, so it cannot drift from the document."""
import importlib.util
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]
SCRIPT = PACKAGE / "scripts" / "generate.py"
MODELS = PACKAGE / "src" / "herald_client" / "models.py"


def test_models_match_the_document() -> None:
    spec = importlib.util.spec_from_file_location("herald_generate", SCRIPT)
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    expected = generator.generate()
    assert MODELS.read_text(encoding="utf-8") == expected, (
        f"{MODELS} is stale: run python3 clients/python/scripts/generate.py"
    )


def test_generator_check_mode_passes() -> None:
    done = subprocess.run([sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_models_cover_the_catalog() -> None:
    from herald_client import models

    assert models.EVENT_TYPES == (
        "credits.depleted", "credits.low", "project.completed", "project.created", "project.failed",
        "project.processing", "voice_clone.completed", "voice_clone.failed",
    )
    required = models._ProjectCompletedDataRequired.__annotations__
    assert set(required) == {"project_id", "project_type", "video_url", "duration_seconds", "credits_used"}
    optional = models.ProjectCompletedData.__annotations__
    assert {"thumbnail_url", "video_url_upscaled", "person_id", "person_name"} <= set(optional)
