"""The commands of ``python -m service``, by what they work on (see ``service.cli``)."""
