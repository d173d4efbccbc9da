"""The app under test, served in a process of its own (see tests/e2e/conftest.py)."""

import sys

from lms import create_app

if __name__ == "__main__":
    create_app().run(host="127.0.0.1", port=int(sys.argv[1]), threaded=True,
                     use_reloader=False)
