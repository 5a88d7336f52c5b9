"""Input errors of the probes (tools report them through :func:`mmssl_transfer.cli.run_tool`, exit status 2)."""
from mmssl_transfer.errors import InputError


class ProbeInputError(InputError):
    """A probe was asked for something the dataset or protocol cannot give (e.g. a linear probe on CD-FSL)."""
