"""The corpus: loading cases and profiles (loader), and linting them (lint)."""
