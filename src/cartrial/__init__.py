"""cartrial: software that runs a phase I anti-CD19 CAR-T dose-escalation trial in SLE."""

__version__ = "0.1.0"
