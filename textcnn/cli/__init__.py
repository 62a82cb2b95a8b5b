"""The ``textcnn`` command line: thin Click shells over importable library functions."""
