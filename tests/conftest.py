import sys
from pathlib import Path

# Test helper modules (projects.py, browser_support.py, ...) import by plain name.
sys.path.insert(0, str(Path(__file__).parent))

# One Chromium for the whole session: the `browser` and `browser_page` fixtures.
pytest_plugins = ["browser_support"]
