# JupyterLab settings for this project (`make lab` passes this file with --config).
# Notebooks are saved without outputs: the tracked .ipynb files stay clean however long a
# session runs, while the browser keeps showing the outputs.
from finestats.jupyter import strip_outputs_hook

c = get_config()  # noqa: F821 (provided by Jupyter when it loads this file)
c.FileContentsManager.pre_save_hook = strip_outputs_hook
