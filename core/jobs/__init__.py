"""Background jobs (arq): the worker, and the jobs core itself contributes."""
