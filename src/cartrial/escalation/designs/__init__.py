"""One module per escalation design, each behind `cartrial.escalation.interface.Design`."""
