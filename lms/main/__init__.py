"""Site-wide pages: home, language switch, privacy notice, errors."""
