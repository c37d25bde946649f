"""Frontend: read a function's source, parse it, resolve its free names, fence off what we can't do."""
