"""Build hook only (metadata lives in pyproject.toml): ship data/raw/ and notebooks/ inside the
wheel as ``finestats/_shipped/``, so that an installed finestats has its data and notebooks.
``data/raw/`` stays the one source of truth; a development install reads it in place."""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).parent
SHIPPED = {"data": ROOT / "data" / "raw", "notebooks": ROOT / "notebooks"}


class BuildWithData(build_py):
    def run(self) -> None:
        super().run()
        for sub, source in SHIPPED.items():
            target = Path(self.build_lib) / "finestats" / "_shipped" / sub
            target.mkdir(parents=True, exist_ok=True)
            for f in sorted(source.iterdir()):
                if f.suffix in (".csv", ".ipynb") and f.is_file():
                    self.copy_file(str(f), str(target / f.name))


setup(cmdclass={"build_py": BuildWithData})
